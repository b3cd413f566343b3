"""Vecalign's bead format (``[1, 2]:[1]:0.71``, one bead per line, 0-based indices) and
alignment scoring with its strict and lax precision, recall and F1.

A moved link (out of order, see :mod:`sejajar.align.reorder`) gets a fourth field:
``[7]:[2]:0.91:moved``. Vecalign's own reader splits a line on ``:`` and keeps the first two
fields, so it reads such a file unchanged; so does a reader that also takes the third as the
score.

Strict counts a predicted bead only when the gold alignment has exactly that bead. Lax counts
it when it overlaps a gold bead on both sides. Precision is over predicted beads; recall is over
gold beads, leaving out 1-0 and 0-1 beads on both sides (they have nothing to recall).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BeadPair = tuple[tuple[int, ...], tuple[int, ...]]
_LINE = re.compile(r"^\[([\d,\s]*)\]:\[([\d,\s]*)\](?::(-?[\d.]+(?:[eE]-?\d+)?))?(?::(moved))?$")
MOVED = "moved"


def render_beads(
    beads: Iterable[tuple[Sequence[int], Sequence[int], float | None]],
    moved: Sequence[bool] = (),
) -> str:
    """One line per bead; ``moved[k]`` adds the ``:moved`` field to bead ``k``."""
    lines = []
    for k, (source, target, score) in enumerate(beads):
        line = f"[{', '.join(map(str, source))}]:[{', '.join(map(str, target))}]"
        line += f":{score:.2f}" if score is not None else ""
        if k < len(moved) and moved[k]:
            line += f":{MOVED}"
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def moved_beads(text: str) -> list[bool]:
    """For each bead of a file :func:`parse_beads` accepts, whether it is marked moved."""
    return [
        bool(match.group(4))
        for line in text.split("\n")
        if line.strip() and (match := _LINE.match(line.strip())) is not None
    ]


def parse_beads(text: str) -> list[BeadPair]:
    """Read beads; a malformed line is an error naming its number, and so is a segment that
    is in two beads (or twice in one): an alignment puts each segment in one bead at most."""
    beads, overlaps = read_beads(text)
    if overlaps:
        raise ValueError(overlaps[0])
    return beads


def read_beads(text: str) -> tuple[list[BeadPair], list[str]]:
    """Read beads, and say where a segment is in two beads (or twice in one): one message a
    line, naming it. A malformed line is an error naming its number. Published gold files have
    such overlaps (a typo in Text+Berg de-fr puts one segment in two beads); Vecalign's scorer
    reads them bead by bead, and so does :func:`score_alignments`."""
    beads = []
    overlaps = []
    seen: tuple[dict[int, int], dict[int, int]] = ({}, {})
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: not a bead like [0, 1]:[0]:0.93: {line[:60]!r}")
        bead = (_ids(match.group(1)), _ids(match.group(2)))
        for side, ids, lines in zip(("source", "target"), bead, seen, strict=True):
            for i in ids:
                if i in lines:
                    earlier = lines[i]
                    where = "twice in this bead" if earlier == number else f"in line {earlier} too"
                    overlaps.append(f"line {number}: {side} segment {i} is {where}")
                lines[i] = number
        beads.append(bead)
    return beads, overlaps


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.replace(" ", "").split(",") if x)


@dataclass(frozen=True)
class AlignmentScore:
    strict_precision: float
    strict_recall: float
    strict_f1: float
    lax_precision: float
    lax_recall: float
    lax_f1: float

    def render(self) -> str:
        return (
            f"strict  precision {self.strict_precision:.3f}  recall {self.strict_recall:.3f}  "
            f"F1 {self.strict_f1:.3f}\n"
            f"lax     precision {self.lax_precision:.3f}  recall {self.lax_recall:.3f}  "
            f"F1 {self.lax_f1:.3f}\n"
        )


def _matches(reference: Sequence[BeadPair], predicted: Sequence[BeadPair]) -> tuple[int, int, int]:
    """(strict hits, lax hits, beads counted) of ``predicted`` against ``reference``."""
    exact = {(tuple(s), tuple(t)) for s, t in reference if s or t}
    linked: dict[int, set[int]] = defaultdict(set)
    for s, t in reference:
        for i in s:
            linked[i].update(t)
    strict = lax = count = 0
    for s, t in predicted:
        if not s and not t:
            continue
        count += 1
        if (tuple(s), tuple(t)) in exact:
            strict += 1
            lax += 1
        elif any(linked[i].intersection(t) for i in s):
            lax += 1
    return strict, lax, count


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_alignments(
    pairs: Iterable[tuple[Sequence[BeadPair], Sequence[BeadPair]]],
) -> AlignmentScore:
    """Score (gold, predicted) alignments of one or more documents, counts summed over all."""
    ps = pl = pn = rs = rl = rn = 0
    for gold, predicted in pairs:
        # Vecalign's scorer takes each side as a set: a bead written twice counts once.
        gold, predicted = list(dict.fromkeys(gold)), list(dict.fromkeys(predicted))
        s, lx, n = _matches(gold, predicted)
        ps, pl, pn = ps + s, pl + lx, pn + n
        gold_links = [(a, b) for a, b in gold if a and b]
        predicted_links = [(a, b) for a, b in predicted if a and b]
        s, lx, n = _matches(predicted_links, gold_links)
        rs, rl, rn = rs + s, rl + lx, rn + n
    sp, lp = (ps / pn, pl / pn) if pn else (0.0, 0.0)
    sr, lr = (rs / rn, rl / rn) if rn else (0.0, 0.0)
    return AlignmentScore(sp, sr, _f1(sp, sr), lp, lr, _f1(lp, lr))


@dataclass(frozen=True)
class LinkScore:
    """Precision, recall and F1 over links, each a (source segment, target segment) pair that
    some bead joins: order plays no part, so it scores moved (non-monotone) links too."""

    precision: float
    recall: float
    f1: float

    def render(self) -> str:
        return (
            f"links   precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}\n"
        )


def links(beads: Iterable[BeadPair]) -> set[tuple[int, int]]:
    return {(i, j) for s, t in beads for i in s for j in t}


def link_scores(
    pairs: Iterable[tuple[Sequence[BeadPair], Sequence[BeadPair]]],
) -> LinkScore:
    """Score (gold, predicted) alignments link by link, counts summed over all documents."""
    hits = predicted_n = gold_n = 0
    for gold, predicted in pairs:
        g, p = links(gold), links(predicted)
        hits += len(g & p)
        predicted_n += len(p)
        gold_n += len(g)
    precision = hits / predicted_n if predicted_n else 0.0
    recall = hits / gold_n if gold_n else 0.0
    return LinkScore(precision, recall, _f1(precision, recall))
