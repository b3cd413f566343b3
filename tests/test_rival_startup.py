"""What a load whose plan chose CTranslate2 (translate/rival.py) does at start-up: no worker
process of the default engine is forked for it (they start when sentences with terms come),
with a plan known ahead (kept, or a plan file) not even the default engine's model is loaded
until then, the CTranslate2 engine calibration timed is the one that runs (loaded once), the
weights are hashed once per process, and an engine the user gave, the default one too, is
binding: no CTranslate2 from a plan or a calibration then. The choice is forced, never left to
timing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate import calibrate, ct2, marian, models
from sejajar.translate.calibrate import Plan
from sejajar.translate.ct2 import CT2Translator
from sejajar.translate.engines import load_translator, open_translator
from sejajar.translate.marian import MarianTranslator, load_marian
from sejajar.translate.models import weights_revision
from tests.calibrating import TEXTS, forced
from tests.helpers import KONTAN, run
from tests.test_rival import CT2_PLAN, key_of, plan_file, refuse, settings, timing_then

pytestmark = pytest.mark.usefixtures("calibrating")

CT2_TWO = {"workers": 2, "threads": 1, "kernels": "fbgemm", "engine": "ctranslate2"}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The (workers, threads) of every worker pool the default engine starts."""
    calls: list[tuple[int, int]] = []
    real = MarianTranslator.start_workers

    def counting(self: MarianTranslator, workers: int, threads: int) -> None:
        calls.append((workers, threads))
        real(self, workers, threads)

    monkeypatch.setattr(MarianTranslator, "start_workers", counting)
    return calls


@pytest.fixture
def ct2_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int | None, int | None]]:
    """The (workers, threads) of every CTranslate2 engine loaded."""
    calls: list[tuple[int | None, int | None]] = []
    real = ct2.load_ct2

    def counting(options: Any) -> CT2Translator:
        calls.append((options.workers, options.threads))
        return real(options)

    monkeypatch.setattr(ct2, "load_ct2", counting)
    return calls


@pytest.fixture
def marian_loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The settings of every load of the default engine's model."""
    calls: list[Any] = []
    real = marian.load_marian

    def counting(options: Any, *args: Any, **kwargs: Any) -> MarianTranslator:
        calls.append(options)
        return real(options, *args, **kwargs)

    monkeypatch.setattr(marian, "load_marian", counting)
    return calls


@pytest.mark.parametrize("calibrate_on", [False, True])
def test_a_ctranslate2_plan_loads_nothing_else_until_terms_come(
    tiny_model: Path,
    tmp_path: Path,
    started: list[tuple[int, int]],
    ct2_loads: list[tuple[int | None, int | None]],
    marian_loads: list[Any],
    calibrate_on: bool,
) -> None:
    """A plan file's CTranslate2 plan (read with calibration on or off): that engine loaded
    once, the default engine's model neither loaded nor forked until sentences with terms."""
    plan = plan_file(tmp_path / "plan.json", tiny_model, CT2_TWO)
    with open_translator(
        settings(tiny_model, plan=plan, calibrate=calibrate_on), cache=False
    ) as session:
        plain = session().translate(TEXTS)
        assert isinstance(session.loaded, CT2Translator)
        assert (started, marian_loads, ct2_loads) == ([], [], [(2, 1)])
        assert session.loaded.calibration_note == f"plan from {plan}: {Plan(**CT2_TWO).describe()}"
        got = session().translate([TEXTS[0]], terms=[["Korea"]])
        assert started == [(2, 1)] and session.rerouted == 1  # the plan's layout, now
        assert len(marian_loads) == 1 and not marian_loads[0].rivals
    assert len(plain) == len(TEXTS) and got[0].missing_terms == ()
    assert got == load_translator(settings(tiny_model, engine="ctranslate2", workers=2,
                                           threads=1)).translate([TEXTS[0]], terms=[["Korea"]])  # fmt: skip
    # A caller of load_marian without ``rival`` (bench/speed.py) still gets its workers.
    own = load_marian(settings(tiny_model, plan=plan))
    try:
        assert own.pool is not None and own.pool.workers == 2 and own.rival is None
    finally:
        own.close()


def test_calibration_hands_over_the_ctranslate2_engine_it_timed(
    tiny_model: Path,
    private_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[tuple[int, int]],
    ct2_loads: list[tuple[int | None, int | None]],
) -> None:
    monkeypatch.setattr(calibrate, "layouts", lambda cores: [(2, 1), (1, 1)])
    chosen = Plan(**CT2_TWO)
    timed: list[Plan] = []
    monkeypatch.setattr(calibrate, "fastest", timing_then(chosen, timed))
    loaded = load_translator(settings(tiny_model))
    try:
        assert isinstance(loaded, CT2Translator) and CT2_PLAN in timed and chosen in timed
        # Both layouts' engines timed; the kept plan's one runs: no third load.
        assert sorted(ct2_loads) == [(1, 1), (2, 1)] and loaded.benchmark is None
        # Workers forked to time the default engine's 2-worker layout, none for the load.
        assert started and len(started) == timed.count(Plan(2, 1, "fbgemm"))
        got = loaded.translate(TEXTS)
    finally:
        loaded.close()
    direct = ct2.load_ct2(settings(tiny_model, engine="ctranslate2", workers=2, threads=1))
    assert got == direct.translate(TEXTS)  # not forced to calibration's output lengths
    # The plan kept: the next load times nothing and loads CTranslate2 once.
    ct2_loads.clear()
    monkeypatch.setattr(calibrate, "fastest", refuse)
    forks = len(started)
    again = load_translator(settings(tiny_model))
    assert isinstance(again, CT2Translator) and ct2_loads == [(2, 1)]
    assert (
        len(started) == forks and again.calibration_note == f"this CPU's plan: {chosen.describe()}"
    )


def test_the_weights_are_hashed_once_while_they_stay_as_they_were(
    tiny_model: Path, tmp_path: Path
) -> None:
    import shutil

    copy = Path(shutil.copytree(tiny_model, tmp_path / "copy"))
    first = weights_revision(copy)
    hashed = models._digest.cache_info().misses
    assert weights_revision(copy) == first and models._digest.cache_info().misses == hashed
    (weights,) = [copy / w for w in models.WEIGHT_FILES if (copy / w).exists()]
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))  # changed in place: hashed again
    assert weights_revision(copy) != first


def test_an_engine_given_is_binding(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_file(tmp_path / "plan.json", tiny_model, {**CT2_TWO, "workers": 1})
    base = ["--model", str(tiny_model), "--beams", "1", "--quantize", "int8", "--no-cache",
            "--plan", str(plan), "--format", "jsonl"]  # fmt: skip

    def engine_of(out: str, *options: str) -> str:
        code, _out, err = run("translate", str(KONTAN), "--out", str(tmp_path / out), *base,
                              *options)  # fmt: skip
        assert code == 0, err
        (meta,) = (tmp_path / out).glob("*.meta.json")
        return str(json.loads(meta.read_text("utf-8"))["signature"])

    assert "|engine:ctranslate2|" in engine_of("open")  # left out: the plan's engine
    assert "|engine:transformers|" in engine_of("given", "--engine", "transformers")
    # Nor does sejajar calibrate time CTranslate2 for an engine given.
    seen: list[Sequence[Plan]] = []

    def recording(plans: Sequence[Plan], time_plan: Any) -> Any:
        seen.append(plans)
        return forced(plans[0], [])(plans, time_plan)

    monkeypatch.setattr(calibrate, "layouts", lambda cores: [(1, 1)])
    monkeypatch.setattr(calibrate, "fastest", recording)
    baked = tmp_path / "baked.json"
    code, _out, err = run("calibrate", *base[:6], "--engine", "transformers", "--plan", str(baked))
    assert code == 0, err
    assert seen and all(p.engine == "transformers" for plans in seen for p in plans)
    assert json.loads(baked.read_text())[key_of(tiny_model)]["engine"] == "transformers"
    seen.clear()
    code, _out, err = run("calibrate", *base[:6], "--plan", str(baked), "--force")
    assert code == 0 and any(p.engine == "ctranslate2" for plans in seen for p in plans), err


def kept_default_plan(model: Path, own: float, rival_seconds: float) -> Plan:
    """This machine's kept plan: the default engine's, from a calibration that timed
    CTranslate2 too (``rival_seconds`` in every layout against the plan's ``own``)."""
    from sejajar.translate.workers import usable_cores

    kept = Plan(2, 1, "fbgemm")
    seconds = {kept.describe(): own}
    for w, t in calibrate.layouts(usable_cores()):
        seconds[Plan(w, t, "fbgemm", "ctranslate2").describe()] = rival_seconds
    calibrate.store_plan(key_of(model), kept, seconds)
    return kept


@pytest.mark.parametrize(
    ("workload", "options", "runs"),
    [
        (1_000, {}, "ctranslate2"),  # short: CTranslate2's start saves more than it costs
        (10_000_000, {}, "transformers"),  # long: the faster batches win
        (None, {}, "transformers"),  # unknown size (a service): the plan as kept
        (1_000, {"engine": "transformers", "rivals": False}, "transformers"),  # given: binding
        (1_000, {"workers": 1}, "transformers"),  # the layout given
    ],
)
def test_a_short_job_runs_ctranslate2_where_its_start_saves_more_than_its_batches_cost(
    tiny_model: Path,
    marian_loads: list[Any],
    ct2_loads: list[tuple[int | None, int | None]],
    workload: int | None,
    options: dict[str, Any],
    runs: str,
) -> None:
    kept = kept_default_plan(tiny_model, own=0.64, rival_seconds=0.76)
    loaded = load_translator(settings(tiny_model, workload=workload, **options))
    try:
        assert loaded.signature[2] == ("engine", runs)
        if runs == "ctranslate2":
            assert marian_loads == [] and len(ct2_loads) == 1  # no default model loaded
            note = loaded.calibration_note  # type: ignore[attr-defined]
            assert note.startswith(f"this CPU's plan: {kept.describe()}; for a job of 1,000 ")
            assert "the CTranslate2 engine" in note and "0.76 s against 0.64 s" in note
        else:
            assert ct2_loads == []
    finally:
        loaded.close()


def test_no_ctranslate2_timing_kept_no_switch(tiny_model: Path) -> None:
    calibrate.store_plan(key_of(tiny_model), Plan(2, 1, "fbgemm"), {"whatever": 1.0})
    loaded = load_translator(settings(tiny_model, workload=1_000))
    try:
        assert isinstance(loaded, MarianTranslator)
    finally:
        loaded.close()
