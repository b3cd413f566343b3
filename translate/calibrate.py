"""How the default engine runs on this CPU: chosen by a short calibration at load, cached per
machine and model.

The fastest layout and matrix kernels differ from one x86 CPU to the next. On the 2-core AVX2
AMD EPYC of docs/performance.md, for instance, one single-threaded worker per core beat one
process with both cores over runs of many batches, oneDNN's fp32 products beat torch's default
ones on the output projection but not on the smaller layers (so oneDNN for the output
projection alone beat both), and torch's fbgemm int8 kernels beat oneDNN's; oneDNN, though, has
the VNNI and AMX int8 kernels of newer Intel CPUs that fbgemm lacks. So rather than one fixed
choice, the first load of a model on a machine times the kernels on one batch in one thread,
then each layout with the fastest kernels on a few batches per worker of news-length and short
sentences, in rounds that alternate their order (how long that takes, and the margins above:
docs/performance.md#calibration), and keeps the resulting :class:`Plan` in
``calibration.json`` in the user cache folder, keyed by the CPU (model name, vector extensions,
usable cores), torch's version, the model and its revision, and the settings that change the
work (beams, precision, batch size). Later loads read it back. A calibration timed on a busy
machine may keep a slower plan: delete the file to calibrate again.

Calibration runs only when the layout is left open: with ``--workers`` or ``--threads`` the
layout is the user's and the kernels the defaults (oneDNN for fp32, fbgemm for int8), as with
``SEJAJAR_CALIBRATE=0`` (or ``--no-calibrate``), which turns it off: one single-threaded worker
per core. Every kernel gives the same translations up to float rounding: fp32 stays equal to
``generate()`` and int8 within its tolerance, whatever the plan.

Not every load calibrates: a plan baked ahead (``sejajar calibrate --plan``) or a job too short
to repay a calibration skips it; :mod:`plans` decides.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sejajar.core.files import write_atomic
from sejajar.core.folders import user_cache_folder
from sejajar.translate.models import torch_version

if TYPE_CHECKING:
    from sejajar.translate.marian import MarianTranslator, MarianTranslatorBase

log = logging.getLogger(__name__)

# Matrix kernels to try, by precision, the default first: fp32 through oneDNN (weights reordered
# once, see :mod:`onednn`), torch's plain matrix multiply (MKL), or "mixed": oneDNN for the
# output projection (54,796 outputs, where its reordered weights gain most) and torch's for the
# rest (faster than all oneDNN at beam 4 fp32 on the AVX2 EPYC of docs/performance.md); int8
# through torch's fbgemm or oneDNN quantised engine; bf16 the same three as fp32, on bf16
# weights (see :mod:`bf16`).
KERNELS = {
    "none": ("onednn", "plain", "mixed"),
    "int8": ("fbgemm", "onednn"),
    "bf16": ("onednn", "plain", "mixed"),
}
# Of the file's layout and of what a plan means (2: kernels, then layouts; 3: mixed fp32).
VERSION = 3
# The sentences a calibration translates: news lengths (18-28 model tokens) taking turns with
# short lines (6-10 tokens: headlines, captions, short quotes), each forced to ``FORCED`` output
# tokens. Kernels are timed on one batch in one thread; layouts on ``BATCHES`` batches for
# every worker of the widest layout. With a single batch per worker, a run ends with its
# slowest batch while the other workers idle, a cost that a job of many batches does not pay:
# on the AVX2 EPYC (greedy int8), one process with 2 threads was as fast as 2 workers on 2
# batches but clearly slower on 16, and a calibration on 2 batches had kept it
# (docs/performance.md#calibration).
FORCED = 12
BATCHES = 3
# Timing rounds: every plan once, then the close ones again (see ``fastest``).
ROUNDS = 2
SENTENCES = (
    "Presiden Joko Widodo meresmikan jalan tol baru yang menghubungkan dua kota besar di Jawa "
    "Tengah pada Senin pagi, disaksikan ratusan warga.",
    "Harga emas naik tipis pagi ini.",
    "Bank Indonesia mempertahankan suku bunga acuan sebesar 5,75 persen untuk menjaga stabilitas "
    "nilai tukar rupiah di tengah ketidakpastian global.",
    "Polisi masih menyelidiki penyebab kebakaran.",
    "Menurut data Badan Pusat Statistik, inflasi tahunan pada bulan lalu tercatat sebesar 2,28 "
    "persen, lebih rendah dari perkiraan para ekonom.",
    "Pertandingan ditunda karena hujan deras.",
    "Petugas pemadam kebakaran membutuhkan waktu sekitar tiga jam untuk memadamkan api yang "
    "menghanguskan puluhan kios di pasar tradisional tersebut.",
    "Ia menolak berkomentar lebih lanjut.",
    "Kementerian Kesehatan mengimbau masyarakat untuk segera melengkapi vaksinasi dan tetap "
    "menjaga pola hidup bersih dan sehat.",
    "Rupiah ditutup melemah terhadap dolar AS.",
    "Tim nasional sepak bola Indonesia berhasil meraih kemenangan dua gol tanpa balas dalam laga "
    "persahabatan yang digelar di Jakarta.",
    "Warga diminta tetap waspada.",
)


@dataclass(frozen=True)
class Plan:
    """How batches run: ``workers`` processes of ``threads`` threads, with ``kernels``; by the
    default engine, or by CTranslate2 where calibration found it faster (``engine``
    "ctranslate2": its ``inter_threads`` and ``intra_threads``, and the default engine with
    ``kernels`` for the sentences with terms, see :mod:`rival`)."""

    workers: int
    threads: int
    kernels: str
    engine: str = "transformers"

    def describe(self) -> str:
        layout = f"{self.workers} worker(s) x {self.threads} thread(s)"
        if self.engine == "ctranslate2":
            return (
                f"the CTranslate2 engine, {layout} (sentences with terms: the "
                f"default engine, {self.kernels} kernels)"
            )
        return f"{layout}, {self.kernels} kernels"


def enabled() -> bool:
    """Whether calibration may run (``SEJAJAR_CALIBRATE=0`` turns it off)."""
    return os.environ.get("SEJAJAR_CALIBRATE", "1").strip().lower() not in ("0", "false", "no")


def layouts(cores: int) -> list[tuple[int, int]]:
    """(workers, threads) worth timing on ``cores`` cores: one worker per core, one process
    with every core, and pairs of threads in between."""
    found = [(min(cores, 8), 1), (1, cores)]
    if cores >= 4 and cores % 2 == 0:
        found.append((min(cores // 2, 8), 2))
    return list(dict.fromkeys(found))


def int8_kernels() -> list[str]:
    """The quantised engines this torch build has, from the ones worth trying."""
    import torch

    supported = set(torch.backends.quantized.supported_engines)
    return [k for k in KERNELS["int8"] if k in supported]


def machine() -> str:
    """This CPU as the calibration sees it: model name, vector extensions, usable cores."""
    from sejajar.translate.cpu import described
    from sejajar.translate.workers import usable_cores

    return f"{described()} x{usable_cores()}"


def plan_key(model: str, revision: str, beams: int, quantize: str, batch_size: int) -> str:
    work = f"beams={beams} quantize={quantize} batch={batch_size}"
    return f"v{VERSION} | {machine()} | torch {torch_version()} | {model}@{revision} | {work}"


def calibration_path() -> Path:
    """``calibration.json`` in the user cache folder (see :func:`user_cache_folder`)."""
    return user_cache_folder() / "calibration.json"


def _read(path: Path) -> dict[str, dict[str, object]]:
    """The stored plans; empty when the file is missing, unreadable or not ours."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stored_plan(key: str, path: Path | None = None) -> Plan | None:
    entry = _read(path or calibration_path()).get(key)
    if not isinstance(entry, dict):
        return None
    try:
        workers, threads, kernels = entry["workers"], entry["threads"], entry["kernels"]
    except KeyError:
        return None
    engine = entry.get("engine", "transformers")  # plans kept before engines were timed
    if isinstance(workers, bool) or isinstance(threads, bool):
        return None  # JSON's true and false are ints to Python
    if not (isinstance(workers, int) and isinstance(threads, int) and isinstance(kernels, str)):
        return None
    if workers < 1 or threads < 1 or engine not in ("transformers", "ctranslate2"):
        return None
    return Plan(workers, threads, kernels, str(engine))


def store_plan(key: str, plan: Plan, seconds: dict[str, float], path: Path | None = None) -> None:
    """Keep ``plan`` under ``key`` (an unwritable cache folder only costs a new calibration
    next time: the debug log says why)."""
    path = path or calibration_path()
    plans = _read(path)
    entry: dict[str, object] = {**asdict(plan), "seconds": seconds, "when": time.time()}
    plans[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(plans, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        log.debug("calibration not kept in %s: %s", path, exc)


def fastest(
    plans: Sequence[Plan], time_plan: Callable[[Plan], float], rounds: int = ROUNDS
) -> tuple[Plan, dict[Plan, float]]:
    """The plan with the shortest time, and every plan's seconds. Each plan is timed once (a single
    plan only once); then, for ``rounds - 1`` more rounds, in the reverse order of the round
    before, those within 25% of the best so far are timed again. A plan's best run counts (a
    shared machine slows some runs, never speeds one up), and the alternating order keeps a slow
    spell of the machine from falling on one plan's runs only."""
    best = {plan: time_plan(plan) for plan in plans}
    order = list(plans)
    for _ in range(rounds - 1 if len(plans) > 1 else 0):
        order.reverse()
        leader = min(best.values())
        for plan in order:
            if best[plan] <= 1.25 * leader:
                best[plan] = min(best[plan], time_plan(plan))
    chosen = min(plans, key=lambda p: best[p])
    return chosen, {p: round(best[p], 4) for p in plans}


def kernel_label(kernels: str) -> str:
    """How the timing of ``kernels`` on one batch in one thread is kept in the file."""
    return f"one batch in one thread, {kernels} kernels"


def workload(count: int) -> list[str]:
    """``count`` calibration sentences."""
    return [SENTENCES[i % len(SENTENCES)] for i in range(count)]


def timed_texts(batch_size: int, cores: int) -> list[str]:
    """The sentences each layout is timed on: ``BATCHES`` batches per worker of the widest."""
    return workload(batch_size * max(w for w, _ in layouts(cores)) * BATCHES)


def kernels(quantize: str) -> list[str]:
    """The kernels worth timing at this precision on this torch build (for fp32 without a
    working oneDNN, only torch's own: the others would run as it)."""
    import torch

    from sejajar.translate.onednn import onednn_works

    if quantize == "int8":
        return int8_kernels()
    dtype = torch.bfloat16 if quantize == "bf16" else torch.float32
    return list(KERNELS[quantize]) if onednn_works(dtype) else ["plain"]


def calibrated(
    build: Callable[[str], MarianTranslator],
    cores: int,
    quantize: str,
    batch_size: int,
    rival: Callable[[int, int], MarianTranslatorBase] | None = None,
) -> tuple[Plan, dict[str, float], MarianTranslator]:
    """Time the matrix kernels (one batch in one thread: their speed on a core), then every
    layout with the fastest kernels (``BATCHES`` batches per worker), and with ``rival`` (the
    CTranslate2 engine of a layout, see :mod:`rival`) that engine in every layout too, on the
    same batches in the same rounds: the plan kept, every timing's seconds by what it timed,
    and the default engine built with the kept kernels (its ``calibration_note`` a line for
    the user; with a CTranslate2 plan, the engine of the sentences with terms)."""
    import torch

    from sejajar.translate.benchmarking import BenchmarkOptions

    started = time.perf_counter()
    shapes = layouts(cores)
    texts = timed_texts(batch_size, cores)
    built: dict[str, MarianTranslator] = {}

    def engine_for(kernels: str) -> MarianTranslator:
        engine = built.get(kernels)
        if engine is None:
            engine = built[kernels] = build(kernels)
            engine.benchmark = BenchmarkOptions(forced_length=FORCED)
            torch.set_num_threads(1)
            engine.translate(texts[:batch_size])  # kernels set up before any worker forks
        return engine

    rivals: dict[tuple[int, int], MarianTranslatorBase] = {}

    def rival_for(plan: Plan) -> MarianTranslatorBase:
        engine = rivals.get((plan.workers, plan.threads))
        if engine is None and rival is not None:
            engine = rivals[plan.workers, plan.threads] = rival(plan.workers, plan.threads)
            engine.benchmark = BenchmarkOptions(forced_length=FORCED)
            engine.translate(texts[:batch_size])
        assert engine is not None
        return engine

    def timed(plan: Plan, batch: Sequence[str]) -> float:
        if plan.engine == "ctranslate2":
            other = rival_for(plan)
            start = time.perf_counter()
            other.translate(batch)
            return time.perf_counter() - start
        engine = engine_for(plan.kernels)
        engine.prepare()  # bf16 weights held as its kernels want them, before the clock
        torch.set_num_threads(1 if plan.workers > 1 else plan.threads)
        if plan.workers > 1:
            engine.start_workers(plan.workers, plan.threads)
        try:
            start = time.perf_counter()
            engine.translate(batch)
            return time.perf_counter() - start
        finally:
            engine.close()

    seconds: dict[str, float] = {}
    options = kernels(quantize) or [KERNELS[quantize][0]]
    chosen_kernels = options[0]
    if len(options) > 1:
        one_batch = texts[:batch_size]
        best, by_plan = fastest([Plan(1, 1, k) for k in options], lambda p: timed(p, one_batch))
        seconds = {kernel_label(p.kernels): s for p, s in by_plan.items()}
        chosen_kernels = best.kernels
    for other in [k for k in built if k != chosen_kernels]:
        del built[other]  # their copies of the weights go now, before workers fork
    plans = [Plan(w, t, chosen_kernels) for w, t in shapes]
    if rival is not None:
        plans += [Plan(w, t, chosen_kernels, "ctranslate2") for w, t in shapes]
    try:
        plan, by_plan = fastest(plans, lambda p: timed(p, texts))
        # The CTranslate2 engine of a plan that chose it is kept: the load runs it (rival).
        ours = plan.engine == "ctranslate2"
        kept = rivals.pop((plan.workers, plan.threads), None) if ours else None
    finally:
        for timed_rival in rivals.values():
            timed_rival.close()
        rivals.clear()  # the other CTranslate2 copies go before workers fork
    seconds.update({p.describe(): s for p, s in by_plan.items()})
    chosen = engine_for(plan.kernels)  # built already, unless no timing ran
    chosen.benchmark, chosen.rival = None, kept
    if kept is not None:
        kept.benchmark = None
    if quantize == "int8" and plan.kernels in torch.backends.quantized.supported_engines:
        # Building the other kernels' copy switched the process's engine; its workers inherit it.
        torch.backends.quantized.engine = plan.kernels
    timed_too = ", the CTranslate2 engine too" if rival is not None else ""
    chosen.calibration_note = (
        f"calibrated this CPU ({len(options)} kernel(s), {len(shapes)} layout(s){timed_too}) in "
        f"{time.perf_counter() - started:.0f} s (once per machine and model): {plan.describe()}"
    )
    return plan, seconds, chosen
