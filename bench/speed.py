"""Translation speed and memory on this machine, every system in one run.

Builds the real opus-mt-id-en architecture with random weights (fixed seed) from
``../shared/models/opus-mt-id-en-tokenizer``, takes a workload of real news sentence lengths
(the sample articles and TICO-19), and forces every system to produce the same number of
output tokens per sentence (random weights never stop on their own). First the default engine
calibrates each setting as the command does at a first load (its plan then read back, as on
every later run). Then:

- every system runs in its own process, so that its peak memory is its own: sentences/s,
  output tokens/s, peak memory, the ratio to the naive loop;
- for each beam size and precision, bare CTranslate2 and sejajar's two engines are loaded in
  one process and run in turn for several rounds, the order reversed every other round: the
  median of the rounds' ratios is the ratio to
  CTranslate2 the targets use, which a shared machine's ups and downs would otherwise move by
  10-25% between separate runs.

- on a CPU with avx512_bf16 or AMX, the default engine in bf16 runs alone (beam 4 and greedy)
  and, for each, in interleaved rounds of its own beside the default engine in fp32 and bare
  CTranslate2 float32 and int8 (CTranslate2 has no bf16 on a CPU): bf16's speed-up over each.

It ends with the targets of issues 15 and 29, met or missed.

    python -m bench.speed            # about 25 minutes on a 2-core AVX2 EPYC
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.child import ChildFailed, report, run_child
from bench.results import options, recorded
from bench.sampler import MemorySampler
from bench.speed_report import (
    BF16_ROUND,
    NAIVE,
    SYSTEMS,
    bf16_header,
    bf16_row,
    paired,
    table,
    targets,
)
from bench.systems import (
    bare_ct2,
    ct2_options,
    ct2_tokens,
    first_load,
    forced,
    machine,
    plan_lines,
)
from sejajar.translate.cpu import has_bf16
from tests.modelfactory import ROOT, SHARED_TOKENIZER, build_full_model


def workload(count: int, seed: int) -> list[str]:
    """Real Indonesian news and health sentences, sampled reproducibly."""
    from sejajar.translate.split import split_text

    pool = [
        s.text
        for p in sorted((ROOT / "texts").glob("*.txt"))
        for s in split_text(p.read_text("utf-8"))
        if s.kind.value == "sentence"
    ]
    tico = ROOT.parent / "shared" / "data" / "tico19" / "tico19-test.id"
    if tico.exists():
        pool += [line for line in tico.read_text("utf-8").splitlines() if len(line.split()) >= 4]
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(count)]


Work = Callable[[], object]


@dataclass(frozen=True)
class Run:
    """What every system of a run is given: the setting, the model and the workload."""

    beams: int
    quantize: str
    model: Path
    texts: list[str]
    length: int  # output tokens per sentence, forced
    cache: Path  # CTranslate2 conversions


def load_system(engine: str, run: Run) -> tuple[Work, Callable[[], None], str]:
    """A loaded system: (its work on the run's texts, what closes it, the plan it runs)."""
    model, texts, length = run.model, run.texts, run.length
    if engine == "naive":
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        tokenizer = MarianTokenizer.from_pretrained(str(model))
        net = MarianMTModel.from_pretrained(str(model)).eval()  # type: ignore[no-untyped-call]

        def work() -> None:
            with torch.inference_mode():
                for text in texts:
                    enc = tokenizer([text], return_tensors="pt")
                    net.generate(**enc, min_new_tokens=length, max_new_tokens=length)

        return work, lambda: None, ""
    if engine == "ct2":
        bare, tokenizer = bare_ct2(model, run.quantize, run.cache)
        tokens, options = ct2_tokens(tokenizer, texts), ct2_options(run.beams, length)
        return lambda: bare.translate_batch(tokens, **options), lambda: None, ""
    from sejajar.translate.ct2 import load_ct2
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.marian import load_marian

    settings = ModelSettings(model=str(model), beams=run.beams, quantize=run.quantize)
    if engine == "sejajar":  # the CLI's default as it runs: the plan's engine (rival.load)
        from sejajar.translate.engines import load_translator

        running = forced(load_translator(replace(settings, device="cpu", calibrate=True)), length)
        return lambda: running.translate(texts), running.close, dict(running.signature)["engine"]
    if engine == "sejajar-ct2":
        translator: Any = forced(load_ct2(replace(settings, conversions=run.cache)), length)
        return lambda: translator.translate(texts), translator.close, ""
    if engine == "sejajar-transformers":
        # The CLI's default: the plan a calibration at load chose for this CPU (calibrated
        # before, read from the cache folder), run by the default engine in its layout even
        # where the plan chose CTranslate2 (not ``rival``: its workers start here).
        open_layout = replace(settings, device="cpu", workers=None, calibrate=True)
        translator = load_marian(open_layout, rival=False)
    else:  # one process with every core
        translator = load_marian(replace(settings, device="cpu", workers=1, calibrate=False))
    pool = translator.pool
    plan = (pool.workers, pool.threads) if pool else (1, torch_threads())
    forced(translator, length)
    return (
        lambda: translator.translate(texts),
        translator.close,
        f"{plan[0]}x{plan[1]} " + str(translator.kernels),
    )


def run_system(engine: str, run: Run, repeats: int) -> dict[str, Any]:
    """One system in this process, timed after loading (and converting): its figures, with
    the peak memory of the process and its workers."""
    if engine == "calibrate":  # the first load of the model on this machine, as the CLI does
        start = time.perf_counter()
        plans = first_load(run.model, run.beams, run.quantize)
        return {"seconds": time.perf_counter() - start, "plans": plans}
    if engine == "interleaved":
        return interleaved(run, repeats, [(e, e, run.quantize) for e in INTERLEAVED])
    if engine == "interleaved-bf16":
        return interleaved(run, repeats, BF16_ROUND)
    memory = MemorySampler()
    work, close, layout_used = load_system(engine, run)
    seconds = best(work, repeats)
    close()
    peak = memory.stop()
    return {
        "sentences": len(run.texts),
        "seconds": seconds,
        "tokens": len(run.texts) * run.length,
        "peak_mb": peak,
        "layout": layout_used,
    }


INTERLEAVED = ("ct2", "sejajar-transformers", "sejajar-ct2", "sejajar")


def interleaved(run: Run, repeats: int, systems: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """``systems`` (name, engine, precision: bare CTranslate2 and sejajar's two engines at the
    run's precision, or bf16's round) loaded side by side in this process and run in turn,
    ``repeats`` rounds, every other round in the reverse order: the machine's ups and downs
    fall on all alike (a slow or fast spell, a drift), so that the ratios of each round hold
    where figures from separate runs move by 10-25%."""
    loaded = {name: load_system(e, replace(run, quantize=q)) for name, e, q in systems}
    names = list(loaded)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            loaded[name][0]()
            times[name].append(time.perf_counter() - start)
    for _, close, _ in loaded.values():
        close()
    plans = {name: plan for name, (_, _, plan) in loaded.items()}
    return {"seconds": {name: min(t) for name, t in times.items()}, "runs": times, "plans": plans}


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def best(work: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` timed runs: the machines are shared, and the fastest run is
    the one least disturbed by others."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="speed and memory of every system, one run")
    parser.add_argument("--sentences", type=int, default=128)
    parser.add_argument("--naive-sentences", type=int, default=16)
    parser.add_argument("--length", type=int, default=30, help="output tokens per sentence")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per system")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; median counts")
    parser.add_argument("--work", type=Path, default=None, help="folder for model and cache")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one system
    options(parser, smoke={"sentences": 4, "naive_sentences": 2, "length": 4, "rounds": 1})
    args = parser.parse_args()
    with recorded("speed", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    work = args.work or Path(tempfile.gettempdir()) / "sejajar-bench"
    model = work / "model"
    if args.one:
        engine, beams, quantize = args.one.split(",")
        count = args.naive_sentences if engine == "naive" else args.sentences
        run = Run(int(beams), quantize, model, workload(count, 0), args.length, work / "ct2")
        figures = run_system(engine, run, args.repeats)
        report(figures)
        return
    if not SHARED_TOKENIZER.is_dir():
        sys.exit(
            "Error: ../shared/models/opus-mt-id-en-tokenizer is needed for the real architecture"
        )
    if not (model / "model.safetensors").exists():
        build_full_model(model, seed=0)
    # A calibration of this run's own (not one the user's cache kept from another day).
    calibrations = work / "calibration"
    shutil.rmtree(calibrations, ignore_errors=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(calibrations)}
    print(f"machine: {machine()}")
    print(
        "layouts: sejajar transformers as the CLI runs it, the plan its calibration at load "
        f"chose (workers x threads, kernels: column 'plan'); CTranslate2 "
        f"inter_threads={os.cpu_count()}, intra_threads=1 (its fastest)"
    )
    print(
        f"workload: {args.sentences} sentences ({args.naive_sentences} for the naive loop) of "
        f"real news/health lengths, {args.length} output tokens each, forced for every system; "
        f"{args.repeats} timed run(s) per system after loading\n"
    )
    results: dict[str, dict[str, Any]] = {}
    # Calibrate first, each setting in a process of its own, so that the measured runs read the
    # stored plan and their peak memory is that of every later run.
    plans: dict[str, Any] = {}
    # bf16 only where the CPU has it (elsewhere the default engine refuses it).
    systems = [s for s in SYSTEMS if s[3] != "bf16" or has_bf16()]
    if len(systems) < len(SYSTEMS):
        print("bf16: not run, this CPU has neither avx512_bf16 nor amx_bf16\n")
    for setting in sorted({(b, q) for _, e, b, q in systems if e == "sejajar-transformers"}):
        calibrated = spawn(f"calibrate,{setting[0]},{setting[1]}", [], work, env)
        if calibrated is None:
            continue
        plans.update(calibrated["plans"])
        print(f"calibration, beams {setting[0]}, {setting[1]}: {calibrated['seconds']:.1f} s load")
    print("\n".join(plan_lines(plans)))
    print()
    sizes = ["--sentences", str(args.sentences), "--naive-sentences", str(args.naive_sentences),
             "--length", str(args.length)]  # fmt: skip
    for name, engine, beams, quantize in systems:
        figures = spawn(f"{engine},{beams},{quantize}", [*sizes, "--repeats", str(args.repeats)],
                        work, env)  # fmt: skip
        if figures is not None:
            results[name] = figures
    naive = results.get(NAIVE)
    table(results, naive)
    print(
        f"\ninterleaved: bare CTranslate2 (CT2), the default engine (default), --engine "
        f"ctranslate2 (engine ct2) and sejajar as the CLI runs it with --engine left out (as "
        f"run: the engine its plan chose) loaded in one process and run in turn, {args.rounds} "
        f"rounds (order reversed every other round); tok/s of each system's best round; the "
        f"ratios the targets use: median of the rounds' ratios (in brackets: best round over "
        f"best round)"
    )
    print(f"{'setting':12} {'CT2 tok/s':>10} {'default':>8} {'engine ct2':>10} {'as run':>7} "
          f"{'default/CT2':>14} {'ct2/CT2':>14} {'as run/CT2':>14}")  # fmt: skip
    ratios: dict[str, tuple[float, ...]] = {}
    for beams, quantize in ((4, "none"), (4, "int8"), (1, "none"), (1, "int8")):
        label = ("greedy" if beams == 1 else "beam 4") + (
            " fp32" if quantize == "none" else " int8"
        )
        figures = spawn(f"interleaved,{beams},{quantize}", [*sizes, "--repeats",
                        str(args.rounds)], work, env)  # fmt: skip
        if figures is None:
            continue
        secs, runs = figures["seconds"], figures["runs"]
        tokens = args.sentences * args.length
        bare, own, engine = secs["ct2"], secs["sejajar-transformers"], secs["sejajar-ct2"]
        ran = secs["sejajar"]
        ratios[label] = tuple(paired(runs["ct2"], runs[s]) for s in INTERLEAVED[1:])
        best_ratios = (bare / own, bare / engine, bare / ran)
        shown = [f"{r:.2f} ({b:.2f})" for r, b in zip(ratios[label], best_ratios, strict=True)]
        print(f"{label:12} {tokens / bare:>10.0f} {tokens / own:>8.0f} {tokens / engine:>10.0f} "
              f"{tokens / ran:>7.0f} {shown[0]:>14} {shown[1]:>14} {shown[2]:>14}  "
              f"(as run: {figures['plans']['sejajar']})", flush=True)  # fmt: skip
    targets(results, ratios, bf16_rounds(args, sizes, work, env) if has_bf16() else None)


def bf16_rounds(
    args: argparse.Namespace, sizes: list[str], work: Path, env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """bf16's interleaved rounds at beam 4 and greedy: its speed-ups over the others."""
    bf16_header(args.rounds)
    speedups = {}
    for beams, label in ((4, "beam 4"), (1, "greedy")):
        options = [*sizes, "--repeats", str(args.rounds)]
        figures = spawn(f"interleaved-bf16,{beams},bf16", options, work, env)
        if figures is not None:
            speedups[label] = bf16_row(label, figures, args.sentences * args.length)
    return speedups


def spawn(one: str, options: list[str], work: Path, env: dict[str, str]) -> Any:
    """This bench run with ``--one ONE`` in a process of its own: its figures, or None (and
    why, printed) when it failed."""
    try:
        return run_child("bench.speed", ["--one", one, "--work", str(work), *options], env)
    except ChildFailed as exc:
        print(exc)
        return None


if __name__ == "__main__":
    main()
