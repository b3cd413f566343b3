"""Where the default engine's plan (:mod:`calibrate`) comes from at load, so that a first run
on a new machine costs little more than one on a known machine.

A calibration costs 15-55 s with the real model (docs/performance.md#calibration): more than
translating a 60-sentence article at beam 4. Every fresh container, CI job and Ray node would
pay it again. So the plan of a load is, in this order:

1. The plan file of the ``plan`` setting (``--plan FILE``, ``SEJAJAR_PLAN``), baked ahead by
   ``sejajar calibrate --plan FILE`` on a machine of the same kind (a deployment's image, a CI
   cache): its plan for this load's key (the CPU kind, torch, the model, the settings, as
   calibration.json keys them; one file may hold plans for several). A file with no plan for
   this key is ignored with a one-line warning naming the CPU kinds it has plans for, never
   used for another; a file that cannot be read, is no plan file, or holds a damaged plan for
   this key is an error. The plan line says the plan came from the file. The file is read
   with calibration off too (it times nothing); with the layout given (``--workers``,
   ``--threads``: corpus actors) it gives the kernels.
2. This machine's plan cached in calibration.json (a known machine): nothing said; where it
   runs the default engine but calibration timed CTranslate2 too, a job of known size may
   run CTranslate2 instead (its start saving more than its batches cost,
   :func:`rival.short_job`), and the plan line says so.
3. A calibration, as before, when the job repays it: a job of known size (``workload``, the
   source characters the front end expects) under :data:`REPAYS` characters runs with the
   default plan (one single-threaded worker per core, each precision's first kernels) and the
   plan line says so; nothing is cached, so a later long job still calibrates. A job of
   unknown size (a service) or a long one calibrates at load exactly as before: no job gets
   slower than it was.

Why a threshold rather than timing layouts on the job's own first batches: the default layout
is the one calibration kept at every setting on every CPU measured, and the default kernels
lost 4-6% to the kept ones at fp32 and nothing at int8 on the AVX2 EPYC
(docs/performance.md#calibration); a 24 s calibration repays even a 10% gain only after 240 s
of translation, about 1,000 news sentences of ~150 characters at beam 4 on 2 cores. Timing
the kernels on the job's own batches would need a copy of the weights per kernel (oneDNN's
reordered ones, each quantised engine's) and a worker pool per layout: costs a short job
pays without gaining.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sejajar.core.files import write_atomic
from sejajar.translate import calibrate as calibration
from sejajar.translate.rival import builder, runnable, short_job
from sejajar.translate.translator import TranslatorError

if TYPE_CHECKING:
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.marian import MarianTranslator

# Source characters from which a job repays a calibration (about 1,000 news sentences).
REPAYS = 150_000
# A plan key's parts (see ``calibrate.plan_key``): version, CPU, torch, model, settings.
_SEP = " | "


@dataclass(frozen=True)
class Choice:
    """A load's plan (None: calibrate now), its plan line when it is not this machine's cached
    plan, and a warning about a plan file that had none for this load."""

    plan: calibration.Plan | None
    note: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Bake:
    """``sejajar calibrate``: calibrate whatever is cached, into ``path`` (a plan file, or
    None for calibration.json); ``force`` replaces a plan the file holds for this key."""

    path: Path | None
    force: bool = False


def read_plans(path: Path) -> dict[str, dict[str, object]]:
    """The plans of a plan file by key; :class:`TranslatorError` (one line) when it cannot be
    read or is no plan file."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        problem = ": no such file (sejajar calibrate --plan writes one)"
    except IsADirectoryError:
        problem = " is a folder, not a plan file"
    except OSError as exc:
        problem = f": cannot read it: {exc.strerror or exc}"
    except (UnicodeDecodeError, ValueError) as exc:
        problem = f" is not a plan file (not JSON: {exc})"
    else:
        problem = ""
    if problem:
        raise TranslatorError(f"{{plan}} {path}{problem}")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k.count(_SEP) >= 4 and isinstance(v, dict) for k, v in data.items()
    ):
        raise TranslatorError(
            f"{{plan}} {path} is not a plan file (sejajar calibrate writes one: plans by CPU, "
            "model and settings)"
        )
    return data


def _cpu(key: str) -> str:
    return key.split(_SEP)[1]


def _elsewhere(path: Path, plans: dict[str, dict[str, object]], key: str) -> str:
    """The warning for a plan file without a plan for ``key``."""
    mine = key.split(_SEP)
    if any(_cpu(k) == mine[1] for k in plans):
        what = f"for this model and settings on this CPU ({mine[3]}, {mine[4]}, {mine[2]})"
    else:
        kinds = sorted({_cpu(k) for k in plans})
        found = f"it has plans for {'; '.join(kinds)}" if kinds else "it holds none"
        what = f"for this CPU ({mine[1]}): {found}"
    return f"{{plan}} {path} has no plan {what}; ignored"


def runs_here(plan: calibration.Plan, settings: ModelSettings) -> bool:
    """Whether this torch build has the kernels of ``plan``'s default engine; a plan that runs
    CTranslate2 is not asked (nor torch imported) until sentences with terms load that
    engine, which reads the plan again."""
    if plan.engine == "ctranslate2":
        return True
    return plan.kernels in calibration.kernels(settings.quantize)


def _from_file(path: Path, key: str, settings: ModelSettings) -> calibration.Plan | None:
    """The plan file's plan for ``key`` as these settings can run it, or None when it has
    none."""
    plans = read_plans(path)
    if key not in plans:
        return None
    plan = calibration.stored_plan(key, path)
    plan = runnable(plan, settings) if plan is not None else None
    if plan is None or not runs_here(plan, settings):
        raise TranslatorError(
            f"{{plan}} {path}: its plan for this CPU and settings is damaged or names kernels "
            "this torch build lacks; write it again with sejajar calibrate --force"
        )
    return plan


def default_plan(quantize: str) -> calibration.Plan:
    """The plan without calibration: one single-threaded worker per core (see
    :func:`workers.layout`), the precision's first kernels."""
    from sejajar.translate.workers import layout

    workers, threads = layout(None, None, "cpu")
    return calibration.Plan(workers, threads, calibration.KERNELS[quantize][0])


def baked(settings: ModelSettings, key: str) -> Choice:
    """The plan file's plan for ``key`` with its plan line, or a warning that it has none (no
    plan file: nothing)."""
    if settings.plan is None:
        return Choice(None)
    plan = _from_file(settings.plan, key, settings)
    if plan is None:
        return Choice(None, None, _elsewhere(settings.plan, read_plans(settings.plan), key))
    return Choice(plan, f"plan from {settings.plan}: {plan.describe()}")


def choose(settings: ModelSettings, key: str) -> Choice:
    """The plan of a load with the layout left open: the plan file's, this machine's cached
    one, the default for a short job, or None: calibrate (see the module's docstring)."""
    found = baked(settings, key)
    if found.plan is not None:
        return found
    cached = calibration.stored_plan(key)
    cached = runnable(cached, settings) if cached is not None else None
    # CTranslate2's start saving a short job more than its batches cost (its kernels, for the
    # sentences with terms, are checked when they come, without torch imported until then).
    instead = short_job(key, cached, settings) if cached is not None else None
    if instead is not None:
        return Choice(instead[0], instead[1], found.warning)
    if cached is not None and runs_here(cached, settings):
        # Said only when another engine runs than the one asked for.
        note = f"this CPU's plan: {cached.describe()}" if cached.engine != "transformers" else None
        return Choice(cached, note, found.warning)
    if settings.workload is not None and settings.workload < REPAYS:
        plan = default_plan(settings.quantize)
        note = (
            f"no plan for this CPU yet, and a job of {settings.workload:,} characters is too "
            f"short to repay a calibration (from {REPAYS:,}): the default plan, "
            f"{plan.describe()} (sejajar calibrate keeps one)"
        )
        return Choice(plan, note, found.warning)
    return Choice(None, None, found.warning)


def _bake_into(bake: Bake, key: str) -> tuple[Path, dict[str, dict[str, object]]]:
    """Where ``sejajar calibrate`` writes and the plans already there; refuses a plan there
    for ``key`` unless forced (a damaged calibration.json is replaced, as at a load)."""
    path = bake.path or calibration.calibration_path()
    known = read_plans(path) if bake.path is not None and path.exists() else calibration._read(path)
    if key in known and not bake.force:
        raise TranslatorError(
            f"{path} holds a plan for this CPU and settings already; {{force}} calibrates again"
        )
    return path, known


def planned(
    build: Callable[[str], MarianTranslator],
    settings: ModelSettings,
    key: str,
    cores: int,
    bake: Bake | None = None,
) -> tuple[calibration.Plan, MarianTranslator]:
    """The plan of a load with the layout left open and the translator built for it: chosen
    (:func:`choose`) or, when none fits, calibrated now and kept in calibration.json. With
    ``bake``, calibrated now whatever is kept, and written where it says (a failure to write
    is an error then)."""
    if bake is not None:
        path, known = _bake_into(bake, key)
    choice = Choice(None) if bake is not None else choose(settings, key)
    if choice.plan is not None:
        translator = build(choice.plan.kernels)
        translator.calibration_note = choice.note
        translator.plan_warning = choice.warning
        return choice.plan, translator
    plan, seconds, translator = calibration.calibrated(
        build, cores, settings.quantize, settings.batch_size, builder(settings)
    )
    translator.plan_warning = choice.warning
    if bake is None:
        calibration.store_plan(key, plan, seconds)
        return plan, translator
    known[key] = {**asdict(plan), "seconds": seconds, "when": time.time()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(known, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        translator.close()
        raise TranslatorError(f"cannot write the plan to {path}: {exc.strerror or exc}") from exc
    return plan, translator
