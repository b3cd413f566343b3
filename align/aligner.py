"""Sentence alignment: a monotone, banded dynamic programme over beads.

A bead pairs ``a`` consecutive source segments with ``b`` consecutive target segments
(1-1, 1-2, 2-1, 2-2, 1-0, 0-1). Each bead's score mixes three signals, as Bleualign and
Gale-Church do:

- the MT bridge: cosine similarity of the source's machine translation with the target
  (IDF-weighted words and the character 4-grams inside them);
- anchors that survive translation: numbers and names;
- length: the Gale-Church probability of the two character lengths.

Only cells within a band around the diagonal are searched, so cost grows linearly with
length; when the best path runs along the band's edge, the band is doubled and the search
repeated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sejajar.align.features import Matrix, anchor_matrix, bag_of_words
from sejajar.align.moved import BRIDGE_MODEL, NO_BRIDGE_MODEL, MoveModel

BEADS = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 0), (0, 1))
_SKIP_TARGET = BEADS.index((0, 1))
ALIGNER_VERSION = "2"  # 1: monotone only (now `monotone=True`)
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Settings:
    """The aligner's constants, tuned on TICO-19 perturbations (``bench/align.py``)."""

    bridge_weight: float = 0.75
    anchor_weight: float = 0.15
    # Length matters little beside a bridge, and misleads on short lines ("Iklan.").
    length_weight: float = 0.1
    # A bead scoring below this does worse than leaving its segments unaligned.
    baseline: float = 0.15
    baseline_no_bridge: float = -0.05
    anchor_weight_no_bridge: float = 0.7
    # Extra cost of merging. A summed pair of sentences shares more with another summed pair
    # than each does alone, so 2-2 pays more; the small 2-1 cost breaks the tie between
    # "1-1 plus a sentence left out" and "that sentence merged in for nothing".
    merge_penalty: float = 0.03
    merge_penalty_2_2: float = 0.15
    # Gale-Church: English has ~0.95 of the Indonesian characters, variance per character.
    length_ratio: float = 0.95
    length_variance: float = 2.0
    # Half-width of the first band around the (scaled) diagonal; doubled while the best path
    # runs along its edge.
    min_band: int = 32
    # Links of the monotone search below this confidence are reconsidered with the unaligned
    # segments when recovering moved blocks (they are kept when nothing better is found).
    release_below: float = 0.5


@dataclass(frozen=True)
class Bead:
    source: tuple[int, ...]
    target: tuple[int, ...]
    confidence: float
    # A link recovered out of order (a moved block): its target lies before a link's target
    # that comes earlier in the source, or after one that comes later.
    moved: bool = False


def align(
    source: Sequence[str],
    target: Sequence[str],
    bridge: Sequence[str] | None = None,
    settings: Settings = Settings(),
    monotone: bool = False,
    move_model: MoveModel | None = None,
) -> list[Bead]:
    """Align ``source`` (Indonesian) with ``target`` (English) segments. ``bridge`` holds a
    machine translation of each source segment; without it, anchors and length decide.
    Unless ``monotone``, segments the monotone search leaves unaligned on both sides are then
    paired out of order where they match (moved blocks, :mod:`sejajar.align.moved`)."""
    if bridge is not None and len(bridge) != len(source):
        raise ValueError(f"the bridge has {len(bridge)} lines for {len(source)} source segments")
    n, m = len(source), len(target)
    if n == 0 or m == 0:
        return [Bead((i,), (), 0.0) for i in range(n)] + [Bead((), (j,), 0.0) for j in range(m)]
    scorer = _Scorer(source, target, bridge, settings)
    width = settings.min_band
    while True:
        band = _Band(n, m, width)
        path, touches_edge = _search(scorer, band, settings)
        if not touches_edge or band.is_full:
            break
        width *= 2
    if monotone:
        return path
    from sejajar.align.reorder import recover_moved

    model = move_model or (BRIDGE_MODEL if bridge is not None else NO_BRIDGE_MODEL)
    return recover_moved(path, scorer, model, (source, target))


class _Band:
    """For each source position i (0..n), the target positions searched: lo[i]..hi[i]."""

    def __init__(self, n: int, m: int, width: int) -> None:
        centre = np.round(np.arange(n + 1) * (m / n)).astype(np.int64)
        self.lo = np.clip(centre - width, 0, m)
        self.hi = np.clip(centre + width, 0, m)
        self.m = m
        self.is_full = bool((self.lo == 0).all() and (self.hi == m).all())

    def near_edge(self, i: int, j: int) -> bool:
        lo, hi = int(self.lo[i]), int(self.hi[i])
        return (j - lo < 2 and lo > 0) or (hi - j < 2 and hi < self.m)


class _Scorer:
    """Bead scores for any band, from per-segment vectors and prefix sums of lengths."""

    def __init__(
        self,
        source: Sequence[str],
        target: Sequence[str],
        bridge: Sequence[str] | None,
        settings: Settings,
    ) -> None:
        self.settings = settings
        self.has_bridge = bridge is not None
        if bridge is not None:
            both = bag_of_words([*bridge, *target])
            self.bridge_src, self.bridge_tgt = both[: len(bridge)], both[len(bridge) :]
        self.anchor_src = anchor_matrix(source, "id")
        self.anchor_tgt = anchor_matrix(target, "en")
        self.src_len = np.concatenate([[0], np.cumsum([len(s) for s in source])]).astype(float)
        self.tgt_len = np.concatenate([[0], np.cumsum([len(t) for t in target])]).astype(float)

    def scores(self, a: int, b: int, i: int, js: npt.NDArray[np.int64]) -> Array:
        """Score of the beads covering source [i-a, i) and target [j-b, j) for each j."""
        s = self.settings
        ls = self.src_len[i] - self.src_len[i - a]
        lt = self.tgt_len[js] - self.tgt_len[js - b]
        delta = (lt - ls * s.length_ratio) / np.sqrt(np.maximum(ls, 1.0) * s.length_variance)
        length = np.array([math.erfc(abs(d) / math.sqrt(2)) for d in delta])
        anchor, has_anchor = _cosines(self.anchor_src, self.anchor_tgt, a, b, i, js)
        if self.has_bridge:
            bridge, _ = _cosines(self.bridge_src, self.bridge_tgt, a, b, i, js)
            weights = (s.bridge_weight, s.anchor_weight, s.length_weight)
        else:
            bridge = np.zeros(len(js))
            weights = (0.0, s.anchor_weight_no_bridge, 1.0 - s.anchor_weight_no_bridge)
        # Where neither side has an anchor, the anchor signal says nothing: leave it out.
        anchor_w = np.where(has_anchor, weights[1], 0.0)
        total = weights[0] + anchor_w + weights[2]
        return np.asarray((weights[0] * bridge + anchor_w * anchor + weights[2] * length) / total)


def _cosines(
    src: Matrix, tgt: Matrix, a: int, b: int, i: int, js: npt.NDArray[np.int64]
) -> tuple[Array, npt.NDArray[np.bool_]]:
    u = src[i - a : i].sum(axis=0)
    # Rows j-b..j-1 summed, for every j at once.
    v = tgt[js - 1] + (tgt[js - 2] if b == 2 else 0.0)
    nu = float(np.linalg.norm(u))
    nv = np.linalg.norm(v, axis=1)
    dots = v @ u
    present = (nv > 0) | (nu > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where((nv > 0) & (nu > 0), dots / (nv * nu + 1e-12), 0.0)
    return np.asarray(cos, dtype=float), present


def _search(scorer: _Scorer, band: _Band, s: Settings) -> tuple[list[Bead], bool]:
    """Best path through the band: row by row over source positions, vectorised over the
    target positions of a row."""
    n = len(band.lo) - 1
    baseline = s.baseline if scorer.has_bridge else s.baseline_no_bridge
    penalty = {2: 0.0, 3: s.merge_penalty, 4: s.merge_penalty_2_2}
    rows: list[Array] = []
    back: list[npt.NDArray[np.int8]] = []
    conf: list[Array] = []
    for i in range(n + 1):
        js = np.arange(int(band.lo[i]), int(band.hi[i]) + 1)
        best = np.where(js == 0, 0.0, -np.inf) if i == 0 else np.full(len(js), -np.inf)
        choice = np.full(len(js), -1, dtype=np.int8)
        score_here = np.zeros(len(js))
        for kind, (a, b) in enumerate(BEADS):
            if a == 0 or i < a:
                continue  # 0-1 beads are resolved along the row below
            plo, phi = int(band.lo[i - a]), int(band.hi[i - a])
            ok = (js - b >= plo) & (js - b <= phi)
            if not ok.any():
                continue
            total = np.full(len(js), -np.inf)
            raw = np.zeros(len(js))
            total[ok] = rows[i - a][js[ok] - b - plo]
            if b:
                raw[ok] = scorer.scores(a, b, i, js[ok])
                total += raw - baseline - penalty[a + b]
            better = total > best
            best[better], choice[better], score_here[better] = total[better], kind, raw[better]
        # 0-1 beads: a target segment left unaligned, moving right along this row.
        for k in range(1, len(js)):
            if best[k - 1] > best[k]:
                best[k], choice[k], score_here[k] = best[k - 1], _SKIP_TARGET, 0.0
        rows.append(best)
        back.append(choice)
        conf.append(score_here)
    return _trace(band, back, conf, baseline)


def _trace(
    band: _Band, back: list[npt.NDArray[np.int8]], conf: list[Array], baseline: float
) -> tuple[list[Bead], bool]:
    i, j = len(back) - 1, band.m
    beads: list[Bead] = []
    touches = False
    while i > 0 or j > 0:
        k = j - int(band.lo[i])
        kind = int(back[i][k])
        a, b = BEADS[kind]
        touches |= band.near_edge(i, j)
        beads.append(
            Bead(
                tuple(range(i - a, i)),
                tuple(range(j - b, j)),
                _confidence(conf[i][k], a, b, baseline),
            )
        )
        i, j = i - a, j - b
    beads.reverse()
    return beads, touches


def _confidence(score: float, a: int, b: int, baseline: float) -> float:
    """Map a bead's score to [0, 1]: 0 at the baseline (no better than leaving it out), 1 for a
    score twice as far above it; unaligned segments get 0."""
    if a == 0 or b == 0:
        return 0.0
    return round(float(min(1.0, max(0.0, (score - baseline) / (1.0 - baseline) * 2))), 2)
