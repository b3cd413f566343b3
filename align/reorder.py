"""Recover moved blocks after the monotone search (:mod:`sejajar.align.moved` holds the model).

Segments of 1-0 and 0-1 beads, and of links the monotone search made with low confidence, are
pooled; pairs of them the model accepts become links, widened to 2-1 or 1-2 where a free
neighbour makes the bead score better (as the monotone search would judge it). A released link
none of whose segments found a better partner is kept as it was. Every link is written where
its source segment is, so target indices can go backwards; ``moved`` marks the ones out of
order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sejajar.align.aligner import Bead, _Scorer
from sejajar.align.moved import (
    Candidates,
    MoveModel,
    candidates,
    choose,
    probabilities,
    shared_tokens,
)


def _pool(path: Sequence[Bead], release: float) -> tuple[list[int], list[int], list[int], set[int]]:
    """Loose source segments with the target position the path gives each, loose target
    segments (sorted) and the positions in ``path`` of the released links."""
    loose_source: list[int] = []
    expected: list[int] = []
    loose_target: list[int] = []
    released: set[int] = set()
    cursor = 0
    for k, bead in enumerate(path):
        if bead.source and bead.target and bead.confidence < release:
            released.add(k)
        if not bead.target or k in released:
            loose_source.extend(bead.source)
            expected.extend([cursor] * len(bead.source))
        if not bead.source or k in released:
            loose_target.extend(bead.target)
        cursor += len(bead.target)
    return loose_source, expected, sorted(loose_target), released


def loose_pairs(
    path: Sequence[Bead],
    scorer: _Scorer,
    model: MoveModel,
    texts: tuple[Sequence[str], Sequence[str]],
) -> Candidates:
    """The candidate pairs of loose segments (:func:`sejajar.align.moved.candidates`)."""
    loose_source, expected, loose_target, _ = _pool(path, scorer.settings.release_below)
    bridge = (scorer.bridge_src, scorer.bridge_tgt) if scorer.has_bridge else None
    lengths = np.diff(scorer.src_len).astype(int), np.diff(scorer.tgt_len).astype(int)
    return candidates(
        loose_source,
        loose_target,
        expected,
        bridge,
        (scorer.anchor_src, scorer.anchor_tgt),
        ([int(x) for x in lengths[0]], [int(x) for x in lengths[1]]),
        shared_tokens(*texts),
        model.window,
        scorer.settings.length_ratio,
        scorer.settings.length_variance,
    )


def _score(scorer: _Scorer, source: tuple[int, ...], target: tuple[int, ...]) -> float:
    js = np.array([target[-1] + 1], dtype=np.int64)
    return float(scorer.scores(len(source), len(target), source[-1] + 1, js)[0])


def _widen(
    scorer: _Scorer, i: int, j: int, free_s: set[int], free_t: set[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The 1-1 bead (i, j), or a 2-1 / 1-2 bead with a free neighbour where that scores
    better by more than the merge penalty."""
    best: tuple[tuple[int, ...], tuple[int, ...]] = ((i,), (j,))
    best_score = _score(scorer, *best) + scorer.settings.merge_penalty
    options = [((i - 1, i), (j,)), ((i, i + 1), (j,)), ((i,), (j - 1, j)), ((i,), (j, j + 1))]
    for src, tgt in options:
        if all(s in free_s for s in src if s != i) and all(t in free_t for t in tgt if t != j):
            score = _score(scorer, src, tgt)
            if score > best_score:
                best, best_score = (src, tgt), score
    return best


def recover_moved(
    path: list[Bead],
    scorer: _Scorer,
    model: MoveModel,
    texts: tuple[Sequence[str], Sequence[str]],
) -> list[Bead]:
    _, _, _, released = _pool(path, scorer.settings.release_below)
    found = loose_pairs(path, scorer, model, texts)
    chosen = choose(found, probabilities(found.features, model), model.threshold)
    if not chosen:
        return path
    free_s = {i for i, _ in found.pairs} - {i for i, _, _ in chosen}
    free_t = {j for _, j in found.pairs} - {j for _, j, _ in chosen}
    n_src = len(scorer.src_len) - 1
    n_tgt = len(scorer.tgt_len) - 1
    free_s = {i for i in free_s if 0 <= i < n_src}
    free_t = {j for j in free_t if 0 <= j < n_tgt}
    new: dict[int, Bead] = {}  # first source segment -> bead
    taken_s: set[int] = set()
    taken_t: set[int] = set()
    for i, j, p in chosen:
        src, tgt = _widen(scorer, i, j, free_s, free_t)
        free_s -= set(src)
        free_t -= set(tgt)
        taken_s.update(src)
        taken_t.update(tgt)
        new[src[0]] = Bead(src, tgt, round(p, 2))
    # A released link whose segments all stayed free comes back as it was.
    keep = {
        k
        for k in released
        if not taken_s.intersection(path[k].source) and not taken_t.intersection(path[k].target)
    }
    kept = [
        b for k, b in enumerate(path) if b.source and b.target and (k not in released or k in keep)
    ]
    beads: list[Bead] = []
    for k, bead in enumerate(path):
        if (bead.source and bead.target) and (k not in released or k in keep):
            beads.append(bead)
            continue
        for i in bead.source:
            if i in new:
                beads.append(new[i])
            elif i not in taken_s:
                beads.append(Bead((i,), (), 0.0))
        beads.extend(Bead((), (j,), 0.0) for j in bead.target if j not in taken_t)
    return _mark_moved(beads, kept)


def _mark_moved(beads: list[Bead], kept: list[Bead]) -> list[Bead]:
    """Mark the new links whose target is out of order with the monotone links around them."""
    sources = np.array([b.source[-1] for b in kept], dtype=np.int64)
    targets = [max(b.target) for b in kept]
    before = np.maximum.accumulate(targets) if kept else np.zeros(0)
    after = np.minimum.accumulate(targets[::-1])[::-1] if kept else np.zeros(0)
    keep_ids = {id(b) for b in kept}
    out = []
    for bead in beads:
        if bead.source and bead.target and id(bead) not in keep_ids:
            k = int(np.searchsorted(sources, bead.source[0]))
            lo, hi = min(bead.target), max(bead.target)
            moved = bool((k > 0 and before[k - 1] > hi) or (k < len(sources) and after[k] < lo))
            bead = Bead(bead.source, bead.target, bead.confidence, moved)
        out.append(bead)
    return out
