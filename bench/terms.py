"""Required terms in the default engine (issue 24): what placing a glossary's terms costs, and
that they are placed.

News sentences (the sample articles and TICO-19) are translated, in one process and in
interleaved rounds (the order turned each round; the median round counts), with no terms at
all and with the terms of several glossary runs: none matched (``zero``), the glossary's own
matches (``matched``), one or three of its English terms on every sentence (``one``,
``three``), and one on every other sentence (``half``). Each setting of beams and precision
(beam 4 and greedy, fp32 and int8) gives sentences/s and the ratio to no terms; the share of
the required terms present in the output, as written; and how many sentences without terms
came out byte-identical to the run without any.

The glossary is ``bench/data/glossary-news.tsv`` (200 entries). The model is the real
opus-mt-id-en architecture with random weights (``../shared/models/opus-mt-id-en-tokenizer``)
forced to ``--length`` output tokens per sentence, unless ``--model`` names a model folder,
whose outputs end where they end. Terms whose tokens do not fit in that length cannot be
placed, and are reported missing (three of the longest entries take about 46 tokens).
Issue 24's target: at most 15% slower at one term per sentence at beam 4.

    python -m bench.terms [--sentences 240] [--rounds 3] [--beams 4 1] [--model FOLDER]
                          [--runs none matched one ...] [--precisions none int8]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.results import options, recorded
from bench.speed import workload
from bench.systems import forced
from tests.modelfactory import ROOT, build_full_model, build_tiny_model

GLOSSARY = ROOT / "bench" / "data" / "glossary-news.tsv"
CONFIGS = ("none", "zero", "matched", "one", "three", "half")


def term_sets(
    texts: list[str], seed: int, runs: tuple[str, ...] = CONFIGS
) -> dict[str, list[list[str]] | None]:
    """Each run's terms per sentence (None: no terms given at all), for ``runs`` (``none``
    always: the others are measured against it)."""
    from sejajar.translate.termbase import load_glossary

    glossary = load_glossary([GLOSSARY])
    assert glossary is not None
    pool = sorted({term.target for term in glossary.terms})
    rng = random.Random(seed)
    sets: dict[str, list[list[str]] | None] = {
        "none": None,
        "zero": [[] for _ in texts],
        "matched": glossary.targets(texts),
        "one": [rng.sample(pool, 1) for _ in texts],
        "three": [rng.sample(pool, 3) for _ in texts],
        "half": [rng.sample(pool, 1) if i % 2 else [] for i in range(len(texts))],
    }
    return {name: terms for name, terms in sets.items() if name == "none" or name in runs}


def measure(translator: Any, texts: list[str], sets: dict[str, Any], rounds: int) -> list[str]:
    """The rows of one setting: each run's median seconds, its terms present, and its
    sentences without terms that match the run without any."""
    seconds: dict[str, list[float]] = {name: [] for name in sets}
    outputs: dict[str, list[Any]] = {}
    names = list(sets)
    warm = sets.get("one") or [[] for _ in texts]
    translator.translate(texts[:8], terms=warm[:8])  # warm: workers, first batches
    for number in range(rounds):
        turn = number % len(names)
        for name in names[turn:] + names[:turn]:
            start = time.perf_counter()
            outputs[name] = translator.translate(texts, terms=sets[name])
            seconds[name].append(time.perf_counter() - start)
    plain = [t.text for t in outputs["none"]]
    base = statistics.median(seconds["none"])
    rows = []
    for name in names:
        median = statistics.median(seconds[name])
        terms = sets[name] or [[] for _ in texts]
        wanted = sum(len(t) for t in terms)
        lacking = sum(len(t.missing_terms) for t in outputs[name])
        present = f"{100 * (wanted - lacking) / wanted:.1f}%" if wanted else "-"
        free = [i for i, t in enumerate(terms) if not t]
        same = sum(outputs[name][i].text == plain[i] for i in free)
        rows.append(
            f"{name:>8} {wanted:>6} {len(texts) / median:>8.2f} {median / base:>7.3f} "
            f"{present:>8} {same:>6}/{len(free)}"
        )
    return rows


def run(args: argparse.Namespace) -> None:
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.marian import load_marian

    texts = workload(args.sentences, args.seed)
    sets = term_sets(texts, args.seed, tuple(args.runs))
    with tempfile.TemporaryDirectory(prefix="sejajar-bench-terms-") as work:
        if args.model is not None:
            model = args.model
        elif args.smoke:
            model = build_tiny_model(Path(work) / "model")
        else:
            model = build_full_model(Path(work) / "model")
        length = "natural" if args.model else args.length
        print(f"{len(texts)} sentences, {args.rounds} interleaved rounds (median), glossary "
              f"{GLOSSARY.name}; output length {length}")  # fmt: skip
        for beams in args.beams:
            for quantize in args.precisions:
                settings = ModelSettings(model=str(model), beams=beams, quantize=quantize,
                                         device="cpu", calibrate=False)  # fmt: skip
                translator = load_marian(settings)
                if args.model is None:
                    forced(translator, args.length)
                try:
                    rows = measure(translator, texts, sets, args.rounds)
                finally:
                    translator.close()
                print(f"\nbeams {beams}, {'fp32' if quantize == 'none' else quantize}")
                print("     run  terms  sent/s  vs none  present  same as none (no terms)")
                for row in rows:
                    print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description="the cost of placing a glossary's terms")
    parser.add_argument("--sentences", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; median counts")
    parser.add_argument("--length", type=int, default=48, help="output tokens (random weights)")
    parser.add_argument("--beams", type=int, nargs="+", default=[4, 1])
    parser.add_argument("--model", type=Path, default=None, help="a model folder to use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", nargs="+", choices=CONFIGS, default=list(CONFIGS),
                        help="which runs (none is always one)")  # fmt: skip
    parser.add_argument("--precisions", nargs="+", choices=("none", "int8"),
                        default=["none", "int8"])  # fmt: skip
    options(parser, {"sentences": 6, "rounds": 1, "length": 8})
    args = parser.parse_args()
    with recorded("terms", args):
        run(args)


if __name__ == "__main__":
    main()
