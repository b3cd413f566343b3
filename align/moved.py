"""Moved blocks: links out of order, recovered after the monotone search.

An adapted article moves a lede or a background paragraph. The monotone search leaves the
segments of such a block unaligned on both sides (1-0 and 0-1 beads). Here every unaligned
source segment is compared with the unaligned target segments within ``window`` positions of
where the monotone path puts it, and a pair becomes a link when a small logistic model, fitted
on synthetic adapted articles (``python -m bench.align --fit``, seeds disjoint from the
evaluation seeds), gives it a probability of at least ``threshold``. That probability is the
link's confidence. The features: the pair's bridge similarity, anchor similarity and length
probability, how well the best pair next to it (the segments before or after on both sides)
matches, since paragraphs move together, and its margin over the next best candidate of either
segment. Cost: each unaligned segment against at most ``2 * window`` others, linear in length.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sejajar.align.features import Matrix, words

SHARED_DIM = 1024

FEATURES = ("bridge", "anchor", "has_anchor", "length", "neighbour", "margin", "shared", "bias")


@dataclass(frozen=True)
class MoveModel:
    weights: tuple[float, ...]  # one per FEATURES entry
    threshold: float  # probability at which a pair becomes a link
    window: int = 120


# Fitted by ``python -m bench.align --fit`` on training seeds 100-104 (the evaluation
# uses 0-2); the threshold is the one with the best link F1 among those keeping the precision of
# moved links at 0.97 or more on the training seeds (see bench/README.md).
BRIDGE_MODEL = MoveModel((5.056, 1.425, -1.034, 0.621, 2.955, 7.264, 0.0, -2.709), 0.5)
NO_BRIDGE_MODEL = MoveModel((0.0, -0.06, 0.47, 1.407, 2.354, 4.269, 2.838, -3.259), 0.9)


@dataclass(frozen=True)
class Candidates:
    """Unaligned pairs within the window and their features, one row per pair."""

    pairs: list[tuple[int, int]]
    features: npt.NDArray[np.float64]


def _unit_rows(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def candidates(
    loose_source: Sequence[int],
    loose_target: Sequence[int],
    expected: Sequence[int],
    bridge: tuple[Matrix, Matrix] | None,
    anchor: tuple[Matrix, Matrix],
    lengths: tuple[Sequence[int], Sequence[int]],
    shared: tuple[Matrix, Matrix],
    window: int,
    length_ratio: float = 0.95,
    length_variance: float = 2.0,
) -> Candidates:
    """Features of each (unaligned source, unaligned target) pair whose target lies within
    ``window`` of ``expected[k]``, the monotone path's target position for ``loose_source[k]``."""
    targets = np.asarray(loose_target, dtype=np.int64)
    if not len(loose_source) or not len(targets):
        return Candidates([], np.zeros((0, len(FEATURES))))
    a_src, a_tgt = _unit_rows(anchor[0]), _unit_rows(anchor[1])
    a_has_s = np.asarray(anchor[0].any(axis=1), dtype=bool)
    a_has_t = np.asarray(anchor[1].any(axis=1), dtype=bool)
    if bridge is not None:
        b_src, b_tgt = _unit_rows(bridge[0]), _unit_rows(bridge[1])
    s_src, s_tgt = _unit_rows(shared[0]), _unit_rows(shared[1])
    pairs: list[tuple[int, int]] = []
    rows: list[npt.NDArray[np.float64]] = []
    for i, centre in zip(loose_source, expected, strict=True):
        lo, hi = np.searchsorted(targets, [centre - window, centre + window + 1])
        js = targets[lo:hi]
        if not len(js):
            continue
        block = np.zeros((len(js), len(FEATURES)))
        if bridge is not None:
            block[:, 0] = b_tgt[js] @ b_src[i]
        both = a_has_t[js] & a_has_s[i]
        block[:, 1] = np.where(both, a_tgt[js] @ a_src[i], 0.0)
        block[:, 2] = both
        ls = float(lengths[0][i])
        lt = np.asarray([lengths[1][j] for j in js], dtype=float)
        delta = (lt - ls * length_ratio) / math.sqrt(max(ls, 1.0) * length_variance)
        block[:, 3] = [math.erfc(abs(d) / math.sqrt(2)) for d in delta]
        block[:, 6] = s_tgt[js] @ s_src[i]
        block[:, 7] = 1.0
        pairs.extend((i, int(j)) for j in js)
        rows.append(block)
    features = np.concatenate(rows) if rows else np.zeros((0, len(FEATURES)))
    _context(pairs, features, bridge is not None)
    return Candidates(pairs, features)


def shared_tokens(source: Sequence[str], target: Sequence[str]) -> tuple[Matrix, Matrix]:
    """Words of three letters or more written the same on both sides (names, acronyms, numbers,
    URLs, technical terms), hashed, weighted by how rare they are in the two texts: what
    survives translation without a bridge."""
    rows = [set(w for w in words(t) if len(w) >= 3) for t in [*source, *target]]
    df: dict[str, int] = {}
    for row in rows:
        for w in row:
            df[w] = df.get(w, 0) + 1
    in_source = set().union(*rows[: len(source)]) if source else set()
    in_target = set().union(*rows[len(source) :]) if target else set()
    both = in_source & in_target
    matrix = np.zeros((len(rows), SHARED_DIM), dtype=np.float32)
    total = len(rows)
    for k, row in enumerate(rows):
        for w in row & both:
            matrix[k, zlib.crc32(w.encode("utf-8")) % SHARED_DIM] += math.log((total + 1) / df[w])
    return matrix[: len(source)], matrix[len(source) :]


def _context(pairs: list[tuple[int, int]], features: npt.NDArray[np.float64], bridge: bool) -> None:
    """Fill in the neighbour and margin features from each pair's own similarity."""
    own = features[:, 0] if bridge else 0.7 * features[:, 1] + 0.3 * features[:, 3] * features[:, 2]
    index = {pair: k for k, pair in enumerate(pairs)}
    best_source: dict[int, list[float]] = {}
    best_target: dict[int, list[float]] = {}
    for (i, j), value in zip(pairs, own, strict=True):
        for key, table in ((i, best_source), (j, best_target)):
            top = table.setdefault(key, [0.0, 0.0])
            if value > top[0]:
                top[0], top[1] = float(value), top[0]
            elif value > top[1]:
                top[1] = float(value)
    for k, (i, j) in enumerate(pairs):
        support = 0.0
        for di in (1, 2):
            for dj in (1, 2):
                for sign in (1, -1):
                    other = index.get((i + sign * di, j + sign * dj))
                    if other is not None:
                        support = max(support, float(own[other]))
        features[k, 4] = support
        value = float(own[k])
        rivals = []
        for key, table in ((i, best_source), (j, best_target)):
            top = table[key]
            rivals.append(top[1] if value >= top[0] else top[0])
        features[k, 5] = value - max(rivals)


def probabilities(features: npt.NDArray[np.float64], model: MoveModel) -> npt.NDArray[np.float64]:
    z = features @ np.asarray(model.weights)
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def choose(
    found: Candidates, chances: npt.NDArray[np.float64], threshold: float
) -> list[tuple[int, int, float]]:
    """Pairs at or above ``threshold``, most probable first, each segment used once."""
    order = np.argsort(-chances, kind="stable")
    used_s: set[int] = set()
    used_t: set[int] = set()
    chosen = []
    for k in order:
        p = float(chances[k])
        if p < threshold:
            break
        i, j = found.pairs[k]
        if i in used_s or j in used_t:
            continue
        used_s.add(i)
        used_t.add(j)
        chosen.append((i, j, p))
    return chosen
