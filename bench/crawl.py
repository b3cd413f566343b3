"""A crawl-like workload end to end through ``sejajar translate`` (and ``sejajar corpus``)
against bare CTranslate2 on the raw sentence list and on its distinct sentences.

Articles of 8-10 real Indonesian sentences (the sample articles, TICO-19 and Tatoeba) where a
fifth of the sentence occurrences come from a pool of recurring sentences (as boilerplate,
quotes and wire stories recur in news crawls) and the rest are distinct. When the sources hold
too few distinct sentences, distinct ones are made by joining two real sentences into one
(``A, B``); the bench says how many. The model is the real opus-mt-id-en architecture with
random weights (``../shared/models/opus-mt-id-en-tokenizer``); random weights never stop, so
every system is forced to the same output length.

sejajar runs through the real command-line code, in process: the bench wraps the engine
loaders only to set that forced length on the loaded translator (``translate/benchmarking.py``),
and for ``sejajar corpus`` does the same in Ray's worker processes with a setup hook. Each
system runs in its own process.

    python -m bench.crawl                          # 2,000 articles, growth 500-2,000
    python -m bench.crawl --articles 60 --sizes 30,60 --corpus   # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.child import report, run_child
from bench.crawl_workload import articles, segments, write_inputs
from bench.results import options, recorded
from bench.systems import (
    bare_ct2,
    ct2_options,
    ct2_tokens,
    first_load,
    forced,
    machine,
    plan_lines,
)
from tests.modelfactory import ROOT, build_full_model

FORCED_ENV = "SEJAJAR_BENCH_FORCED_LENGTH"


# --- one system, in its own process -----------------------------------------------------


def force_length() -> None:
    """Wrap the engine loaders so the loaded translator emits exactly the forced length (read
    from the environment, so Ray's worker processes can call this as their setup hook)."""

    from sejajar.translate import engines

    length = int(os.environ[FORCED_ENV])
    for name, load in list(engines.ENGINES.items()):

        def wrapped(settings: Any, load: Any = load) -> Any:
            start = time.perf_counter()
            translator = forced(load(settings), length)
            LOADING.append(time.perf_counter() - start)
            return translator

        engines.ENGINES[name] = wrapped


LOADING: list[float] = []


def run_cli(args: list[str]) -> tuple[float, str]:
    """``sejajar ARGS`` in this process: (seconds, stderr)."""
    from typer.main import get_command

    from sejajar.cli import app

    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = get_command(app).main(args, prog_name="sejajar", standalone_mode=False)
    seconds = time.perf_counter() - start
    if code:
        raise SystemExit(f"sejajar {args[0]} failed ({code}):\n{err.getvalue()[-2000:]}")
    return seconds, err.getvalue()


def time_bare_ct2(
    model: Path, texts: list[str], beams: int, quantize: str, work: Path
) -> tuple[float, float]:
    """(seconds in all, of which loading and tokenising) of bare CTranslate2 on ``texts``."""
    started = time.perf_counter()
    translator, tokenizer = bare_ct2(model, quantize, work / "ct2")
    tokens = ct2_tokens(tokenizer, texts)
    loaded = time.perf_counter()
    translator.translate_batch(tokens, **ct2_options(beams, int(os.environ[FORCED_ENV])))
    return time.perf_counter() - started, loaded - started


def one(system: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one system on the inputs under ``args.inputs``; its figures."""
    work, model = args.work, args.work / "model"
    texts, shards = args.inputs / "txt", args.inputs / "shards"
    raw = segments(texts)
    if system in ("ct2-raw", "ct2-distinct"):
        todo = raw if system == "ct2-raw" else list(dict.fromkeys(raw))
        seconds, load = time_bare_ct2(model, todo, args.beams, args.quantize, work)
        return {"seconds": seconds, "load": load}
    if system == "calibrate":  # the first load on this machine, before anything is timed
        return {"seconds": 0.0, "load": 0.0, "plans": first_load(model, args.beams, args.quantize)}
    kind, engine, cache = system.split(",")
    force_length()
    run_dir = Path(tempfile.mkdtemp(dir=work, prefix="run-"))
    # The default engine as a user runs it: --engine left out, so that its int8 plan may run
    # CTranslate2 (an --engine given is binding, see translate/rival.py).
    chosen = [] if engine == "transformers" else ["--engine", engine]
    common = ["--model", str(model), *chosen, "--beams", str(args.beams),
              "--quantize", args.quantize, "--out", str(run_dir / "out")]  # fmt: skip
    common += ["--no-cache"] if cache == "none" else ["--cache", str(run_dir / "c.sqlite")]
    if kind == "translate":
        seconds, err = run_cli(["translate", str(texts), "--format", "tsv", *common])
    else:
        import ray

        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        ray.init(
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"worker_process_setup_hook": force_length},
        )
        seconds, err = run_cli(["corpus", str(shards), *common])
        ray.shutdown()
    # The corpus job loads the model in Ray's actors, out of this process's sight.
    loading = sum(LOADING) if kind == "translate" else None
    return {"seconds": seconds, "load": loading, "summary": err.strip().splitlines()[-1]}


# --- the driver -----------------------------------------------------------------------------


def spawn(system: str, args: argparse.Namespace, inputs: Path) -> dict[str, Any]:
    env = {**os.environ, FORCED_ENV: str(args.length), "HF_HUB_OFFLINE": "1"}
    env["XDG_CACHE_HOME"] = str(args.work / "xdg")  # this run's own calibration
    options = ["--one", system, "--work", str(args.work), "--inputs", str(inputs),
               "--beams", str(args.beams), "--quantize", args.quantize]  # fmt: skip
    result: dict[str, Any] = run_child("bench.crawl", options, env)
    return result


def systems(args: argparse.Namespace) -> list[tuple[str, str]]:
    rows = [("bare CTranslate2, raw list", "ct2-raw"),
            ("bare CTranslate2, distinct sentences", "ct2-distinct")]  # fmt: skip
    for engine in args.engines.split(","):
        given = "" if engine == "transformers" else f" --engine {engine}"  # see ``one``
        rows.append((f"sejajar translate{given} --no-cache", f"translate,{engine},none"))
        if args.fresh_cache:
            rows.append((f"sejajar translate{given}, fresh cache", f"translate,{engine},file"))
        if args.corpus:
            rows.append((f"sejajar corpus{given} --no-cache", f"corpus,{engine},none"))
    return rows


def prepare(args: argparse.Namespace, count: int) -> tuple[Path, list[str], dict[str, int]]:
    lengths = tuple(int(n) for n in args.lengths.split("-"))
    assert len(lengths) == 2
    docs, made = articles(count, args.shared, args.recur, args.pool, lengths, args.seed)
    folder = Path(tempfile.mkdtemp(dir=args.work, prefix=f"inputs-{count}-"))
    texts, _ = write_inputs(docs, folder)
    return folder, segments(texts), made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sizes", default="500,1000,2000", help="articles, for the growth rows")
    parser.add_argument("--lengths", default="8-10", help="sentences per article, MIN-MAX")
    parser.add_argument("--recur", type=float, default=0.2, help="share of recurring occurrences")
    parser.add_argument("--pool", type=int, default=300, help="recurring sentences to draw from")
    parser.add_argument("--length", type=int, default=12, help="output tokens, forced")
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--quantize", default="int8", choices=["none", "int8"])
    parser.add_argument("--engines", default="transformers,ctranslate2")
    parser.add_argument("--corpus", action="store_true", help="also sejajar corpus (Ray)")
    parser.add_argument(
        "--no-fresh-cache", dest="fresh_cache", action="store_false",
        help="skip the rows with a fresh cache file",
    )  # fmt: skip
    parser.add_argument("--growth-system", default="translate,ctranslate2,none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=None, help="folder for model and runs")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one system
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    options(
        parser,
        smoke={
            "articles": 12,
            "sizes": "12",
            "pool": 8,
            "length": 4,
            "engines": "transformers",
            "fresh_cache": False,
        },
    )
    args = parser.parse_args()
    with recorded("crawl", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    if args.one:
        report(one(args.one, args))
        return
    tokenizer = args.shared / "models" / "opus-mt-id-en-tokenizer"
    if not tokenizer.is_dir():
        sys.exit(f"Error: {tokenizer} is needed for the real architecture (see --shared)")
    args.work = (args.work or Path(tempfile.mkdtemp(prefix="sejajar-crawl-"))).resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    if not (args.work / "model" / "model.safetensors").exists():
        build_full_model(args.work / "model", seed=0, tokenizer_dir=tokenizer)
    # Bare CTranslate2's conversion, made once before any timing (its load column is then
    # loading and tokenising only); sejajar's engine converts as the command does.
    from sejajar.translate.benchmarking import convert_for_ct2

    convert_for_ct2(args.work / "model", args.quantize, args.work / "ct2")
    inputs, raw, made = prepare(args, args.articles)
    distinct = len(set(raw))
    print(f"machine: {machine()}")
    print(
        f"workload: {args.articles} articles of {args.lengths} sentences, {len(raw)} sentences, "
        f"{distinct} distinct ({1 - distinct / len(raw):.1%} repeats); {args.recur:.0%} of "
        f"occurrences drawn from {made['pool']} recurring real sentences; {made['real']} real "
        f"sentences available, {made['joined']} distinct ones made by joining two real ones"
    )
    print(
        f"settings: beams {args.beams}, {args.quantize}, {args.length} output tokens forced for "
        f"every system; bare CTranslate2 inter_threads={os.cpu_count()}, intra_threads=1, "
        "max_batch_size=16, timed on translate_batch only (tokenized beforehand); sejajar timed "
        "end to end (reading, splitting, model load and conversion, writing)\n"
    )
    import shutil

    shutil.rmtree(args.work / "xdg", ignore_errors=True)
    if "transformers" in args.engines.split(","):
        print("calibration (first load):")
        print("\n".join(plan_lines(spawn("calibrate", args, inputs)["plans"])))
    print("columns: seconds end to end (load included), load s (model load, conversion, "
          "tokenising for bare CTranslate2), ratios to bare CTranslate2 on the raw list, "
          "end to end and without the loads (higher is faster)")  # fmt: skip
    print(f"{'system':<52} {'sentences':>9} {'distinct':>8} {'seconds':>8} {'load s':>7} "
          f"{'sent/s':>7} {'x bare':>7} {'x, no load':>10}")  # fmt: skip
    base: dict[str, float] | None = None
    for name, system in systems(args):
        figures = spawn(system, args, inputs)
        seconds = figures["seconds"]
        base = base or figures
        count = distinct if system == "ct2-distinct" else len(raw)
        load = "-" if figures["load"] is None else f"{figures['load']:.1f}"
        if figures["load"] is None:
            work = "-"
        else:
            work = f"{(base['seconds'] - base['load']) / (seconds - figures['load']):.2f}"
        print(f"{name:<52} {count:>9} {distinct:>8} {seconds:>8.1f} {load:>7} "
              f"{len(raw) / seconds:>7.1f} {base['seconds'] / seconds:>7.2f} {work:>10}",
              flush=True)  # fmt: skip
        if "summary" in figures:
            print(f"  {figures['summary']}", flush=True)
    print(f"\ngrowth ({args.growth_system}): time per sentence should stay flat")
    for count in (int(n) for n in args.sizes.split(",")):
        folder, sizes_raw, _ = prepare(args, count)
        figures = spawn(args.growth_system, args, folder)
        work = figures["seconds"] - figures["load"]
        print(f"  {count:>6} articles, {len(sizes_raw):>6} sentences, {len(set(sizes_raw)):>6} "
              f"distinct: {figures['seconds']:7.1f} s, {1000 * work / len(sizes_raw):6.2f} ms "
              f"per sentence without the load", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
