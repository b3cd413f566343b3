"""Aligner accuracy and cost, in one run.

Accuracy: every TICO-19 document turned into an alignment case with exact gold (2-1, 1-2, 1-0,
0-1 beads made by joining and dropping segments, seeded), aligned with the recorded
opus-mt-id-en output as the bridge and without a bridge; strict and lax F1 over all documents,
for several seeds and perturbation rates.
Cost: long documents made by chaining all 19 documents, aligned at growing lengths; the time
per sentence stays flat when the cost is linear.

Adapted news (``--adapted``, issue 13): the documents cut into ~30-line articles with moved
blocks, cut, added and merged sentences (``tests/adapted_cases.py``); link P/R/F1, strict bead F1
and moved-block figures for the monotone search and the default (moved blocks recovered), with and
without a bridge, on evaluation seeds 0-2; cost per sentence from 1k to 16k. ``--fit`` fits the
moved-link models on seeds 100-104 (disjoint from the evaluation seeds) and prints them.

    python -m bench.align            # needs ../shared/data/tico19
    python -m bench.align --adapted
    python -m bench.align --fit both   # or bridge, no-bridge
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.moved import adapted_main, fit_main
from bench.results import options, recorded
from sejajar.align.aligner import align
from sejajar.align.scoring import score_alignments
from tests.alignment_cases import AlignmentCase, tico19_cases
from tests.modelfactory import ROOT


def accuracy(
    cases: list[AlignmentCase], bridge: bool, monotone: bool = True
) -> tuple[float, float]:
    pairs = []
    for case in cases:
        beads = align(case.source, case.target, case.bridge if bridge else None, monotone=monotone)
        pairs.append((case.gold, [(b.source, b.target) for b in beads]))
    score = score_alignments(pairs)
    return score.strict_f1, score.lax_f1


def chained(cases: list[AlignmentCase], size: int) -> AlignmentCase:
    """One long document of about ``size`` source segments, gold shifted as documents chain."""
    source: list[str] = []
    target: list[str] = []
    bridge: list[str] = []
    gold: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    k = 0
    while len(source) < size:
        case = cases[k % len(cases)]
        s0, t0 = len(source), len(target)
        gold += [(tuple(i + s0 for i in s), tuple(j + t0 for j in t)) for s, t in case.gold]
        source += case.source
        target += case.target
        bridge += case.bridge
        k += 1
    return AlignmentCase("chained", tuple(source), tuple(target), tuple(bridge), tuple(gold))


def main() -> None:
    parser = argparse.ArgumentParser(description="aligner accuracy and cost")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tico19")
    parser.add_argument("--sizes", default="1000,2000,4000,8000")
    parser.add_argument("--seeds", default="0,1,2", help="perturbation seeds")
    parser.add_argument("--documents", type=int, default=19, help="documents for accuracy")
    parser.add_argument("--rates", default="0.05,0.15,0.3", help="shares of lines touched")
    parser.add_argument("--adapted", action="store_true", help="the adapted-news benchmark")
    parser.add_argument(
        "--fit", choices=("both", "bridge", "no-bridge"), help="fit the moved-link models"
    )
    options(parser, smoke={"seeds": "0", "rates": "0.15", "sizes": "200,400", "documents": 2})
    args = parser.parse_args()
    with recorded("align", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    if not (args.data / "tico19-test.docs.jsonl").exists():
        sys.exit(f"Error: {args.data} has no TICO-19 data (see ../shared/data/README.md)")
    if args.fit:
        fit_main(args.data, args.fit)
        return
    if args.adapted:
        adapted_main(args.data, [int(s) for s in args.sizes.split(",")])
        return

    print(f"accuracy on TICO-19 ({args.documents} documents), strict F1 / lax F1")
    print("monotone search; in brackets the default (moved blocks recovered)")
    print(f"{'seed':>4} {'rate':>5} {'segments':>8} {'with bridge':>24} {'no bridge':>24}")
    for seed in (int(s) for s in args.seeds.split(",")):
        for rate in (float(r) for r in args.rates.split(",")):
            cases = tico19_cases(args.data, seed=seed, rate=rate)[: args.documents]
            n = sum(len(c.source) for c in cases)
            wb, nb = accuracy(cases, True), accuracy(cases, False)
            wd, nd = accuracy(cases, True, False), accuracy(cases, False, False)
            print(
                f"{seed:>4} {rate:>5} {n:>8} {wb[0]:>7.3f}/{wb[1]:.3f} ({wd[0]:.3f}/{wd[1]:.3f})"
                f" {nb[0]:>7.3f}/{nb[1]:.3f} ({nd[0]:.3f}/{nd[1]:.3f})"
            )

    print("\ncost on one long document (monotone, with bridge, rate 0.15)")
    print(f"{'source':>7} {'target':>7} {'seconds':>8} {'ms/sentence':>12} {'strict F1':>10}")
    cases = tico19_cases(args.data, seed=0)
    for size in (int(s) for s in args.sizes.split(",")):
        case = chained(cases, size)
        start = time.perf_counter()
        beads = align(case.source, case.target, case.bridge, monotone=True)
        seconds = time.perf_counter() - start
        f1 = score_alignments([(case.gold, [(b.source, b.target) for b in beads])]).strict_f1
        per = 1000 * seconds / len(case.source)
        print(
            f"{len(case.source):>7} {len(case.target):>7} {seconds:>8.2f} {per:>12.2f} {f1:>10.3f}"
        )


if __name__ == "__main__":
    main()
