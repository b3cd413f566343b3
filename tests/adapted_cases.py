"""Adapted-news test cases: an article rewritten the way an outlet adapts a wire story, with
exact gold.

Starting from line-aligned text, each article gets, at random but reproducibly (seeded): source
sentences the target lacks (1-0), target sentences the source lacks (0-1), sentences merged on
either side (2-1, 1-2), and ``moves`` blocks of 2-5 consecutive beads placed elsewhere in the
target, as when a lede or a background paragraph is moved. The gold keeps every bead with the
target indices it ends up at, so moved beads point backwards or forwards. Used by
``bench/align.py`` and the tests.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.bead_format import BeadPair
from sejajar.core.files import read_lines

# Shares of lines touched (the rates of issue 13's measurement).
DROP_SOURCE = 0.12
DROP_TARGET = 0.08
MERGE = 0.05


@dataclass(frozen=True)
class AdaptedCase:
    name: str
    source: tuple[str, ...]
    target: tuple[str, ...]
    bridge: tuple[str, ...]  # a translation of each source segment
    gold: tuple[BeadPair, ...]  # in source order; 0-1 beads last
    moved: tuple[bool, ...]  # per gold bead: inside a moved block


@dataclass
class _Unit:
    source: list[str]
    bridge: list[str]
    target: list[str]


def _units(
    source: list[str], target: list[str], bridge: list[str], rng: random.Random
) -> list[_Unit]:
    units: list[_Unit] = []
    i = 0
    while i < len(source):
        roll = rng.random()
        two = i + 1 < len(source)
        if roll < MERGE and two:  # two source sentences, one target sentence: 2-1
            units.append(
                _Unit(source[i : i + 2], bridge[i : i + 2], [f"{target[i]} {target[i + 1]}"])
            )
            i += 2
        elif roll < 2 * MERGE and two:  # 1-2
            joined = [f"{source[i]} {source[i + 1]}"], [f"{bridge[i]} {bridge[i + 1]}"]
            units.append(_Unit(*joined, target[i : i + 2]))
            i += 2
        elif roll < 2 * MERGE + DROP_SOURCE:  # cut from the target: 1-0
            units.append(_Unit([source[i]], [bridge[i]], []))
            i += 1
        elif roll < 2 * MERGE + DROP_SOURCE + DROP_TARGET:  # added by the target: 0-1
            units.append(_Unit([], [], [target[i]]))
            i += 1
        else:
            units.append(_Unit([source[i]], [bridge[i]], [target[i]]))
            i += 1
    return units


def _move_blocks(count: int, total: int, rng: random.Random) -> tuple[list[int], set[int]]:
    """The target order of ``total`` units after moving ``count`` disjoint blocks of 2-5 units,
    each at least 3 units away from where it was, and the units moved."""
    order = list(range(total))
    taken: set[int] = set()
    for _ in range(count):
        for _attempt in range(50):
            size = rng.randint(2, 5)
            if total < size + 4:
                break
            start = rng.randrange(0, total - size + 1)
            block = list(range(start, start + size))
            if taken.intersection(block):
                continue
            rest = [u for u in order if u not in block]
            at = rest.index(order[order.index(start) - 1]) + 1 if order.index(start) else 0
            choices = [p for p in range(len(rest) + 1) if abs(p - at) >= 3]
            if not choices:
                continue
            place = rng.choice(choices)
            order = rest[:place] + block + rest[place:]
            taken.update(block)
            break
    return order, taken


def adapt(
    name: str, source: list[str], target: list[str], bridge: list[str], moves: int, seed: int
) -> AdaptedCase:
    rng = random.Random(seed)
    units = _units(source, target, bridge, rng)
    order, moved = _move_blocks(moves, len(units), rng)
    t_start: dict[int, int] = {}
    tgt: list[str] = []
    for u in order:
        t_start[u] = len(tgt)
        tgt += units[u].target
    src: list[str] = []
    brg: list[str] = []
    gold: list[BeadPair] = []
    flags: list[bool] = []
    extra: list[BeadPair] = []
    for u, unit in enumerate(units):
        ids_t = tuple(range(t_start[u], t_start[u] + len(unit.target)))
        ids_s = tuple(range(len(src), len(src) + len(unit.source)))
        src += unit.source
        brg += unit.bridge
        if ids_s:
            gold.append((ids_s, ids_t))
            flags.append(u in moved and bool(ids_t))
        else:
            extra.append(((), ids_t))
    gold += extra
    flags += [False] * len(extra)
    return AdaptedCase(name, tuple(src), tuple(tgt), tuple(brg), tuple(gold), tuple(flags))


def tico19_adapted(folder: Path, seed: int, moves: int, article: int = 30) -> list[AdaptedCase]:
    """TICO-19 documents cut into articles of about ``article`` lines, each adapted, with the
    recorded opus-mt-id-en output as the bridge."""
    source, target, bridge = (
        read_lines(folder / f"tico19-test.{suffix}") for suffix in ("id", "en", "opus-mt-id-en.en")
    )
    cases = []
    docs = (folder / "tico19-test.docs.jsonl").read_text("utf-8").splitlines()
    for number, raw in enumerate(docs):
        doc = json.loads(raw)
        idx = [n - 1 for n in doc["line_numbers"]]
        pieces = [idx[k : k + article] for k in range(0, len(idx), article)]
        if len(pieces) > 1 and len(pieces[-1]) < article // 2:
            last = pieces.pop()
            pieces[-1] = pieces[-1] + last
        for part, lines in enumerate(pieces):
            cases.append(
                adapt(
                    f"{doc['doc_id']}/{part}",
                    [source[i] for i in lines],
                    [target[i] for i in lines],
                    [bridge[i] for i in lines],
                    moves,
                    seed=seed * 100_000 + number * 100 + part,
                )
            )
    return cases
