"""Alignment scores: Vecalign's strict and lax precision, recall and F1 over beads, and
precision, recall and F1 over links (order-free, so they score moved links too).

Strict counts a predicted bead only when the gold alignment has exactly that bead. Lax counts
it when it overlaps a gold bead on both sides. Precision is over predicted beads; recall is over
gold beads, leaving out 1-0 and 0-1 beads on both sides (they have nothing to recall).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sejajar.align.bead_format import BeadPair


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
