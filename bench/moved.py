"""The adapted-news half of ``bench/align.py``: moved blocks, cut and added sentences
(issue 13), and the fit of the moved-link models."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sejajar.align.aligner import Settings, _Scorer, align
from sejajar.align.bead_format import BeadPair
from sejajar.align.moved import BRIDGE_MODEL, FEATURES, NO_BRIDGE_MODEL, MoveModel
from sejajar.align.reorder import loose_pairs
from sejajar.align.scoring import link_scores, score_alignments
from tests.adapted_cases import AdaptedCase, tico19_adapted

EVAL_SEEDS = (0, 1, 2)
FIT_SEEDS = (100, 101, 102, 103, 104)
# The threshold is the best for link F1 among those keeping this precision of moved links.
FIT_PRECISION = 0.97


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float
    strict_f1: float
    moved_recall: float  # gold links inside moved blocks that were found
    moved_precision: float  # links marked moved that are right
    moved_links: int


def _links(beads: Sequence[BeadPair]) -> set[tuple[int, int]]:
    return {(i, j) for s, t in beads for i in s for j in t}


def evaluate(
    cases: Sequence[AdaptedCase], bridge: bool, monotone: bool, model: MoveModel | None = None
) -> Figures:
    pairs = []
    found_moved = gold_moved = right_moved = marked = 0
    for case in cases:
        beads = align(
            case.source,
            case.target,
            case.bridge if bridge else None,
            monotone=monotone,
            move_model=model,
        )
        predicted = [(b.source, b.target) for b in beads]
        pairs.append((case.gold, predicted))
        gold = _links(case.gold)
        moved_gold = _links([g for g, m in zip(case.gold, case.moved, strict=True) if m])
        links = _links(predicted)
        gold_moved += len(moved_gold)
        found_moved += len(links & moved_gold)
        moved_links = _links([(b.source, b.target) for b in beads if b.moved])
        marked += len(moved_links)
        right_moved += len(moved_links & gold)
    link = link_scores(pairs)
    strict = score_alignments(pairs).strict_f1
    return Figures(
        link.precision,
        link.recall,
        link.f1,
        strict,
        found_moved / gold_moved if gold_moved else float("nan"),
        right_moved / marked if marked else float("nan"),
        marked,
    )


def _chained(cases: Sequence[AdaptedCase], size: int) -> tuple[list[str], list[str], list[str]]:
    source: list[str] = []
    target: list[str] = []
    bridge: list[str] = []
    k = 0
    while len(source) < size:
        case = cases[k % len(cases)]
        source += case.source
        target += case.target
        bridge += case.bridge
        k += 1
    return source, target, bridge


def adapted_main(data: Path, sizes: Sequence[int]) -> None:
    print(f"adapted news from TICO-19 (~30-line articles, seeds {EVAL_SEEDS} pooled)")
    print("link P/R/F1, strict bead F1; movedR: recall of the links in moved blocks;")
    print("movedP: precision of the links marked moved (n of them)")
    print(
        f"{'bridge':>6} {'moves':>5} {'aligner':>9} {'P':>6} {'R':>6} {'F1':>6} {'strict':>6} "
        f"{'movedR':>7} {'movedP':>7} {'n':>5}",
        flush=True,
    )
    for bridge in (True, False):
        for moves in (0, 1, 2, 3):
            cases = [c for seed in EVAL_SEEDS for c in tico19_adapted(data, seed, moves)]
            for monotone in (True, False):
                f = evaluate(cases, bridge, monotone)
                name = "monotone" if monotone else "default"
                print(
                    f"{'yes' if bridge else 'no':>6} {moves:>5} {name:>9} "
                    f"{f.precision:>6.3f} {f.recall:>6.3f} {f.f1:>6.3f} {f.strict_f1:>6.3f} "
                    f"{f.moved_recall:>7.3f} {f.moved_precision:>7.3f} {f.moved_links:>5}",
                    flush=True,
                )
    print("\ncost on one long adapted document (2 moves per article, default aligner)")
    print(f"{'bridge':>6} {'source':>7} {'seconds':>8} {'ms/sentence':>12} {'ratio to half':>14}")
    cases = tico19_adapted(data, 0, 2)
    for bridge in (True, False):
        previous = None
        for size in sizes:
            source, target, brg = _chained(cases, size)
            start = time.perf_counter()
            align(source, target, brg if bridge else None)
            seconds = time.perf_counter() - start
            ratio = f"{seconds / previous:.2f}" if previous else "-"
            previous = seconds
            per = 1000 * seconds / len(source)
            print(
                f"{'yes' if bridge else 'no':>6} {len(source):>7} {seconds:>8.2f} {per:>12.2f} "
                f"{ratio:>14}",
                flush=True,
            )


def _training(data: Path, bridge: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Candidate features and labels (the pair is a gold link) on the training seeds."""
    rows: list[npt.NDArray[np.float64]] = []
    labels: list[float] = []

    for seed in FIT_SEEDS:
        for moves in (0, 1, 2, 3):
            for case in tico19_adapted(data, seed, moves):
                brg = case.bridge if bridge else None
                path = align(case.source, case.target, brg, monotone=True)
                scorer = _Scorer(case.source, case.target, brg, Settings())
                found = loose_pairs(path, scorer, BRIDGE_MODEL, (case.source, case.target))
                gold = _links(case.gold)
                rows.append(found.features)
                labels += [float(p in gold) for p in found.pairs]
    return np.concatenate(rows), np.asarray(labels)


def fit_main(data: Path, which: str = "both") -> None:
    models = ((True, BRIDGE_MODEL), (False, NO_BRIDGE_MODEL))
    for bridge, current in models:
        if which != "both" and which != ("bridge" if bridge else "no-bridge"):
            continue
        features, labels = _training(data, bridge)
        weights = fit_logistic(features, labels)
        name = "bridge" if bridge else "no bridge"
        print(f"{name}: {len(labels)} candidate pairs, {int(labels.sum())} gold links", flush=True)
        print("  weights", dict(zip(FEATURES, weights, strict=True)))
        cases = [c for seed in FIT_SEEDS for c in tico19_adapted(data, seed, 2)]
        chosen, best_f1 = None, -1.0
        for threshold in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            model = MoveModel(weights, threshold, current.window)
            f = evaluate(cases, bridge, False, model)
            print(
                f"  threshold {threshold:.2f}: link F1 {f.f1:.3f}, moved recall "
                f"{f.moved_recall:.3f}, moved precision {f.moved_precision:.3f}",
                flush=True,
            )
            if f.moved_precision >= FIT_PRECISION and f.f1 > best_f1:
                chosen, best_f1 = threshold, f.f1
        print(f"  -> MoveModel({weights}, {chosen})")


def fit_logistic(
    features: npt.NDArray[np.float64], labels: npt.NDArray[np.float64], steps: int = 3000
) -> tuple[float, ...]:
    """Weights of a logistic regression (gradient descent, light L2), for ``--fit``: the
    weights :data:`sejajar.align.moved.BRIDGE_MODEL` and ``NO_BRIDGE_MODEL`` hold."""
    w = np.zeros(features.shape[1])
    rate = 0.5
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(features @ w, -30, 30)))
        grad = features.T @ (p - labels) / len(labels) + 1e-4 * w
        w -= rate * grad
    return tuple(round(float(x), 3) for x in w)
