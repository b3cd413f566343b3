"""CTranslate2 as the default engine's rival in calibration: on a CPU where the default
engine cannot match it at some setting, the plan may say to run that setting with it.

On a 2-core Xeon with AMX, greedy int8 of the default engine ran at 0.59x bare CTranslate2
int8 (docs/performance.md#bf16), and fp32 at 0.94-0.95x; on the AVX2 EPYC fp32 at 0.91-0.92x.
So where calibration would run (the layout left open), with no engine given (an ``--engine``
given, the default one too, is the user's own choice), at ``--quantize int8`` or ``none``
(CTranslate2 has no bf16 on a CPU) and with the ``ctranslate2`` package installed
(``pip install 'sejajar[ct2]'``),
calibration times the CTranslate2 engine (:mod:`ct2`, its converted model cached as
``--engine ctranslate2`` keeps it) in every layout beside its own, on the same batches in the
same rounds, and keeps whichever is faster. A plan that chose CTranslate2 says so in its plan
line; the outputs' signature, and so the translation cache's key, name the engine that ran
(``engine=ctranslate2``), so a cached translation of one engine is never served as the
other's. Without the package, a plan that named CTranslate2 (a plan file from another
machine) runs the default engine with its layout and kernels: nothing changes.

CTranslate2 cannot place required terms: the sentences with terms go to the default engine,
as with ``--engine ctranslate2`` (:meth:`ct2.CT2Translator.default_engine`), here the one
calibration built with the plan's kernels; its worker processes start when the first such
sentence comes, never at load (:func:`marian.load_marian` with ``rival``), and the
CTranslate2 engine calibration timed in the plan's layout is the one that runs (loaded
once). With the plan known ahead (this machine's kept plan, a plan file), the default
engine's model is not even loaded until then (:func:`load`), nor torch imported: CTranslate2's
path starts about 5 s sooner than the default engine's with the real model. So where the kept
plan is the default engine's, a short job may still run CTranslate2 (:func:`short_job`).
At int8 both engines quantise the same linear layers dynamically, so the outputs stay
within int8's tolerance of fp32; at fp32 both compute the same products, the outputs equal up
to float rounding (tests/test_rival.py).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sejajar.translate.calibrate import Plan
    from sejajar.translate.ct2 import CT2Translator
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.marian import MarianTranslator
    from sejajar.translate.plans import Choice
    from sejajar.translate.translator import Translator

# The settings at which CTranslate2 is timed (it has no bf16 on a CPU).
QUANTIZE = ("int8", "none")
# How much sooner a CTranslate2 plan starts translating than the default engine's, in seconds,
# counted low: with the real model on the 2-core Xeon with AMX (bench.crawl, 245 sentences),
# 0.4 s against 5.4 s (torch and transformers imported, the model loaded and quantised, the
# workers forked); CTranslate2's path imports neither (see :mod:`pieces`).
STARTS_SOONER = 3.0
# A job's output tokens per source character against calibration's (its outputs forced to
# ``calibrate.FORCED`` tokens): a news sentence's translation runs to about three times as
# many, so its batches cost about three times a calibration batch of the same characters.
OUTPUT_SCALE = 3.0


def available() -> bool:
    """Whether the ``ctranslate2`` package is installed (found, not imported)."""
    return importlib.util.find_spec("ctranslate2") is not None


def allowed(settings: ModelSettings) -> bool:
    """Whether a plan of these settings may run CTranslate2 (see the module's docstring)."""
    return (
        settings.engine == "transformers"
        and settings.rivals
        and settings.quantize in QUANTIZE
        and settings.device in ("auto", "cpu")
        and available()
    )


def runnable(plan: Plan, settings: ModelSettings) -> Plan:
    """``plan``, or the default engine with its layout and kernels where it names CTranslate2
    and these settings cannot run it."""
    if plan.engine == "ctranslate2" and not allowed(settings):
        return dataclasses.replace(plan, engine="transformers")
    return plan


def builder(settings: ModelSettings) -> Callable[[int, int], CT2Translator] | None:
    """What calibration times beside the default engine: the CTranslate2 engine with
    ``(workers, threads)`` as its inter and intra threads; None when not allowed."""
    if not allowed(settings):
        return None

    def build(workers: int, threads: int) -> CT2Translator:
        from sejajar.translate.ct2 import load_ct2

        return load_ct2(_ct2_settings(settings, workers, threads))

    return build


def _ct2_settings(settings: ModelSettings, workers: int, threads: int) -> ModelSettings:
    return dataclasses.replace(
        settings, engine="ctranslate2", device="cpu", workers=workers, threads=threads
    )


def load(settings: ModelSettings) -> Translator:
    """A load of the default engine (``--engine`` left out): with a CTranslate2 plan known
    ahead (a plan file's, this machine's cached one), that engine alone, the default engine's
    model loaded only when sentences with terms come (about 2 s of a start-up with the real
    model: loading, quantising); otherwise the default engine's load, then :func:`instead`."""
    from sejajar.translate.ct2 import load_ct2
    from sejajar.translate.marian import load_marian

    known = ahead(settings)
    if known is None or known.plan is None or known.plan.engine != "ctranslate2":
        return instead(settings, load_marian(settings, rival=True))
    plan = known.plan
    fast = load_ct2(_ct2_settings(settings, plan.workers, plan.threads))
    # The same plan read again, as the default engine's: its layout and kernels, no timing.
    fast.own = lambda: load_marian(dataclasses.replace(settings, rivals=False))
    fast.calibration_note, fast.plan_warning = known.note, known.warning
    return fast


def _open(settings: ModelSettings) -> bool:
    """Whether CTranslate2 may run for these settings and calibration's layout is left open
    (no ``--workers``, no ``--threads``)."""
    return allowed(settings) and settings.workers is None and settings.threads is None


def ahead(settings: ModelSettings) -> Choice | None:
    """The plan a load of these settings would read (not calibrate) when it can be had
    without loading the model (a local folder on the CPU, the layout left open), else None."""
    from sejajar.translate import calibrate, plans
    from sejajar.translate.models import local_folder, weights_revision

    if not _open(settings):
        return None
    folder = local_folder(settings.model)
    if folder is None or not _on_cpu(settings.device):
        return None
    revision = weights_revision(folder)
    key = calibrate.plan_key(
        settings.model, revision, settings.beams, settings.quantize, settings.batch_size
    )
    if settings.calibrate and calibrate.enabled():
        return plans.choose(settings, key)
    return plans.baked(settings, key)


def instead(settings: ModelSettings, own: MarianTranslator) -> Translator:
    """The translator a load of the default engine runs: ``own``, or, when its plan chose
    CTranslate2, that engine (the one calibration kept, else loaded now) with ``own`` (loaded
    with ``rival``: no workers until sentences with terms come) for the sentences with terms,
    and ``own``'s plan line."""
    from sejajar.translate.ct2 import CT2Translator, load_ct2

    plan = own.plan
    if plan is None or plan.engine != "ctranslate2":
        return own
    own.close()  # workers, had a caller started them: forked for nothing unless terms come
    kept, own.rival = own.rival, None
    fast = kept if isinstance(kept, CT2Translator) else None
    fast = fast or load_ct2(_ct2_settings(settings, plan.workers, plan.threads))

    def with_workers() -> Translator:
        if plan.workers > 1:
            own.start_workers(plan.workers, plan.threads)
        return own

    fast.own = with_workers
    fast.calibration_note = own.calibration_note
    fast.plan_warning = own.plan_warning
    return fast


def _on_cpu(device: str) -> bool:
    """Whether the default engine runs on the CPU with this ``device`` setting ("cpu" or
    "auto", see :func:`allowed`), asked without importing torch (about 1 s of a start-up that
    may not need it): "auto" is CUDA where torch sees a CUDA device, and where torch is not
    loaded yet, where CTranslate2 sees one."""
    import sys

    if device != "auto" or "torch" in sys.modules:
        from sejajar.translate.models import resolved

        return resolved(device) == "cpu"
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count()) == 0


def short_job(key: str, plan: Plan, settings: ModelSettings) -> tuple[Plan, str] | None:
    """For a job of ``settings.workload`` characters on a machine whose kept plan (``plan``,
    under ``key``) runs the default engine, the CTranslate2 plan to run instead, and its plan
    line, when calibration timed CTranslate2 too and its slower batches would cost the job
    less than its start saves (:data:`STARTS_SOONER`); else None. Only where CTranslate2 is
    allowed and the layout left open; a job of unknown size (a service) never switches."""
    from dataclasses import replace

    from sejajar.translate import calibrate
    from sejajar.translate.workers import usable_cores

    if plan.engine != "transformers" or settings.workload is None or not _open(settings):
        return None
    seconds = _timings(key)
    own = seconds.get(plan.describe())
    shapes = calibrate.layouts(usable_cores())
    others = [replace(plan, workers=w, threads=t, engine="ctranslate2") for w, t in shapes]
    timed = [(seconds[o.describe()], o) for o in others if o.describe() in seconds]
    if own is None or not timed:
        return None
    slower, fast = min(timed, key=lambda pair: pair[0])
    chars = sum(map(len, calibrate.timed_texts(settings.batch_size, usable_cores())))
    costs = max(0.0, slower - own) / chars * settings.workload * OUTPUT_SCALE
    if costs >= STARTS_SOONER:
        return None
    note = (
        f"this CPU's plan: {plan.describe()}; for a job of {settings.workload:,} characters "
        f"the CTranslate2 engine, {fast.workers} worker(s) x {fast.threads} thread(s), which "
        f"starts about {STARTS_SOONER:.0f} s sooner (its batches took {slower:.2f} s against "
        f"{own:.2f} s in calibration)"
    )
    return fast, note


def _timings(key: str) -> dict[str, float]:
    """The seconds of every timing of the calibration that kept ``key``'s plan in
    calibration.json, by what it timed (``Plan.describe``); empty where there are none."""
    from sejajar.translate import calibrate

    entry = calibrate._read(calibrate.calibration_path()).get(key)
    seconds = entry.get("seconds") if isinstance(entry, dict) else None
    if not isinstance(seconds, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in seconds.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
