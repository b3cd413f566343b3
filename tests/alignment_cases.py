"""Alignment test cases with exact gold, built from line-aligned parallel documents.

Starting from 1-1 lines, adjacent segments are joined on one side (giving 2-1 and 1-2 beads)
and segments are dropped on either side (1-0, 0-1), at random but reproducibly (seeded).
Used by the tests and by ``bench/align.py``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.bead_format import BeadPair
from sejajar.core.files import read_lines


@dataclass(frozen=True)
class AlignmentCase:
    name: str
    source: tuple[str, ...]
    target: tuple[str, ...]
    bridge: tuple[str, ...]  # a translation of each source segment
    gold: tuple[BeadPair, ...]


def perturb(
    name: str,
    source: list[str],
    target: list[str],
    bridge: list[str],
    seed: int,
    rate: float = 0.15,
) -> AlignmentCase:
    """Turn 1-1 lines into a case with 2-1, 1-2, 1-0 and 0-1 beads (each at ``rate``/4)."""
    rng = random.Random(seed)
    src: list[str] = []
    tgt: list[str] = []
    brg: list[str] = []
    gold: list[BeadPair] = []
    i = 0
    while i < len(source):
        roll = rng.random()
        two = i + 1 < len(source)
        if roll < rate / 4 and two:  # two source lines, one joined target: 2-1
            gold.append(((len(src), len(src) + 1), (len(tgt),)))
            src += source[i : i + 2]
            brg += bridge[i : i + 2]
            tgt.append(f"{target[i]} {target[i + 1]}")
            i += 2
        elif roll < rate / 2 and two:  # joined source, two target lines: 1-2
            gold.append(((len(src),), (len(tgt), len(tgt) + 1)))
            src.append(f"{source[i]} {source[i + 1]}")
            brg.append(f"{bridge[i]} {bridge[i + 1]}")
            tgt += target[i : i + 2]
            i += 2
        elif roll < 3 * rate / 4:  # the target lacks this line: 1-0
            gold.append(((len(src),), ()))
            src.append(source[i])
            brg.append(bridge[i])
            i += 1
        elif roll < rate:  # the source lacks this line: 0-1
            gold.append(((), (len(tgt),)))
            tgt.append(target[i])
            i += 1
        else:
            gold.append(((len(src),), (len(tgt),)))
            src.append(source[i])
            brg.append(bridge[i])
            tgt.append(target[i])
            i += 1
    return AlignmentCase(name, tuple(src), tuple(tgt), tuple(brg), tuple(gold))


def tico19_cases(folder: Path, seed: int = 0, rate: float = 0.15) -> list[AlignmentCase]:
    """One case per TICO-19 document, with the recorded opus-mt-id-en output as the bridge."""

    source, target, bridge = (
        read_lines(folder / f"tico19-test.{suffix}") for suffix in ("id", "en", "opus-mt-id-en.en")
    )
    cases = []
    for number, raw in enumerate(
        (folder / "tico19-test.docs.jsonl").read_text("utf-8").splitlines()
    ):
        doc = json.loads(raw)
        idx = [n - 1 for n in doc["line_numbers"]]
        cases.append(
            perturb(
                doc["doc_id"],
                [source[i] for i in idx],
                [target[i] for i in idx],
                [bridge[i] for i in idx],
                seed=seed * 1000 + number,
                rate=rate,
            )
        )
    return cases
