"""Calibration at load: the first load of a model on a machine times the kernels, then the
layouts with the fastest, and keeps the plan in calibration.json; later loads read it back; a
plan for another machine, model or setting, or a damaged file, is never used; explicit layouts
and the off switch skip it. That every plan's kernels give the same translations:
test_calibrate_kernels.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate import calibrate, cpu, rival
from sejajar.translate.calibrate import Plan
from sejajar.translate.marian import MarianTranslator
from sejajar.translate.models import weights_revision
from sejajar.translate.workers import usable_cores
from tests.calibrating import TEXTS, decoded, forced, load
from tests.helpers import KONTAN, run

pytestmark = pytest.mark.usefixtures("calibrating")


def stored(cache: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cache / "sejajar" / "calibration.json").read_text())
    return data


def key_of(model: Path, beams: int = 1, quantize: str = "none", batch_size: int = 16) -> str:
    return calibrate.plan_key(str(model), weights_revision(model), beams, quantize, batch_size)


def refuse(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
    raise AssertionError("calibrated again")


def layout_of(translator: MarianTranslator) -> tuple[int, int]:
    import torch

    if translator.pool is None:
        return 1, torch.get_num_threads()
    return translator.pool.workers, translator.pool.threads


@pytest.mark.slow  # starts worker processes
def test_first_load_times_kernels_then_layouts_and_the_next_reads_the_plan(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages: list[list[Plan]] = []  # each call of fastest: the plans it timed, in order
    real = calibrate.fastest

    def counting(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
        stages.append([])

        def timing(plan: Plan) -> float:
            stages[-1].append(plan)
            return time_plan(plan)

        return real(plans, timing)

    monkeypatch.setattr(calibrate, "fastest", counting)
    monkeypatch.setattr(rival, "available", lambda: False)  # the own engine's stages alone
    first = load(tiny_model)
    try:
        entry = stored(private_cache)[key_of(tiny_model)]
        chosen = Plan(entry["workers"], entry["threads"], entry["kernels"])
        # First each kernel on one batch in one thread, then every layout with the kernels
        # that won; each plan timed once, the kept one in every round.
        kernels, shapes = stages
        assert set(kernels) == {Plan(1, 1, k) for k in calibrate.KERNELS["none"]}
        assert kernels.count(Plan(1, 1, chosen.kernels)) == calibrate.ROUNDS
        layouts = [Plan(w, t, chosen.kernels) for w, t in calibrate.layouts(usable_cores())]
        assert set(shapes) == set(layouts)
        assert shapes.count(chosen) == calibrate.ROUNDS
        for stage in stages:
            assert all(1 <= n <= calibrate.ROUNDS for n in Counter(stage).values())
        seconds = entry["seconds"]
        per_kernel = {k: calibrate.kernel_label(k) for k in calibrate.KERNELS["none"]}
        assert set(seconds) == set(per_kernel.values()) | {p.describe() for p in layouts}
        assert all(s > 0 for s in seconds.values())
        assert seconds[chosen.describe()] == min(seconds[p.describe()] for p in layouts)
        assert seconds[per_kernel[chosen.kernels]] == min(seconds[k] for k in per_kernel.values())
        # The translator runs with the plan it kept.
        assert first.kernels == chosen.kernels
        assert layout_of(first) == (chosen.workers, chosen.threads)
        assert first.calibration_note and chosen.describe() in first.calibration_note
        assert all(t.text for t in first.translate(TEXTS))
        # Every kernel was built on the same model while timing: the kept one still gives
        # generate()'s tokens.
        ours, reference = decoded(first, 1)
        assert ours == reference
    finally:
        first.close()
    before = (private_cache / "sejajar" / "calibration.json").read_bytes()
    monkeypatch.setattr(calibrate, "fastest", refuse)
    second = load(tiny_model)
    try:
        assert second.calibration_note is None
        assert second.kernels == chosen.kernels
        assert layout_of(second) == (chosen.workers, chosen.threads)
    finally:
        second.close()
    assert (private_cache / "sejajar" / "calibration.json").read_bytes() == before


@pytest.mark.slow  # starts worker processes
def test_a_stored_plan_sets_the_layout_and_kernels(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(2, 1, "plain"), calls))
    translator = load(tiny_model)
    try:
        assert calls and translator.kernels == "plain" and layout_of(translator) == (2, 1)
        assert translator._search is not None and not translator._search.linear.onednn
        assert all(t.text for t in translator.translate(TEXTS))
    finally:
        translator.close()
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "onednn"), calls))
    calibrate.store_plan(key_of(tiny_model), Plan(1, 1, "onednn"), {})
    again = load(tiny_model)
    assert len(calls) == 1 and again.kernels == "onednn" and layout_of(again) == (1, 1)


def test_fastest_times_each_plan_and_the_close_ones_again() -> None:
    a, b, c = Plan(2, 1, "onednn"), Plan(1, 2, "onednn"), Plan(2, 1, "plain")
    runs = {a: [3.0], b: [2.0], c: [0.8, 5.0, 0.9]}
    calls: list[Plan] = []

    def time_plan(plan: Plan) -> float:
        calls.append(plan)
        return runs[plan][calls.count(plan) - 1]

    chosen, seconds = calibrate.fastest([a, b, c], time_plan, rounds=3)
    assert chosen == c
    # Only the leader was within 25% of the best first run: only it ran again, each round.
    assert calls == [a, b, c, c, c]
    assert seconds == {a: 3.0, b: 2.0, c: 0.8}
    # A plan close behind the leader gets more runs, in the reverse order of the round before,
    # while it stays close; its best run counts.
    runs.update({a: [1.2, 0.7, 0.9], c: [1.0, 1.1, 0.95]})
    calls.clear()
    chosen, seconds = calibrate.fastest([a, b, c], time_plan, rounds=3)
    assert chosen == a
    # Round 2 (reversed): c and a within 25% of 1.0; round 3: only a within 25% of 0.7.
    assert calls == [a, b, c, c, a, a]
    assert seconds[a] == 0.7 and seconds[c] == 1.0
    calls.clear()
    calibrate.fastest([a, b, c], time_plan, rounds=1)
    assert calls == [a, b, c]
    # A single plan (a one-core machine's one layout) is timed once.
    calls.clear()
    assert calibrate.fastest([b], time_plan, rounds=3) == (b, {b: 2.0})
    assert calls == [b]


def test_the_workload_mixes_news_lengths_and_short_lines() -> None:
    """Calibration sentences are of news length and short lines, half and half, in any
    number."""
    for count in (2, 16, 32, 33):
        words = [len(text.split()) for text in calibrate.workload(count)]
        assert len(words) == count
        short = sum(n <= 6 for n in words)
        assert sum(n >= 14 for n in words) + short == count and abs(2 * short - count) <= 1


class FakeCpuinfo:
    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, _path: str) -> FakeCpuinfo:
        return self

    def read_text(self) -> str:
        return self.text


def test_the_key_names_the_cpu_torch_model_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    import sejajar.translate.workers as workers

    info = "model name\t: Intel Xeon\nflags\t\t: fpu avx2 avx512f avx512_vnni sse\n"
    monkeypatch.setattr(cpu, "Path", FakeCpuinfo(info))
    monkeypatch.setattr(workers, "usable_cores", lambda: 2)
    assert calibrate.machine() == "Intel Xeon [avx2 avx512f avx512_vnni] x2"
    base = calibrate.plan_key("m", "r1", 4, "none", 16)
    variants = {
        calibrate.plan_key("n", "r1", 4, "none", 16),
        calibrate.plan_key("m", "r2", 4, "none", 16),
        calibrate.plan_key("m", "r1", 1, "none", 16),
        calibrate.plan_key("m", "r1", 4, "int8", 16),
        calibrate.plan_key("m", "r1", 4, "bf16", 16),
        calibrate.plan_key("m", "r1", 4, "none", 32),
    }
    monkeypatch.setattr(workers, "usable_cores", lambda: 4)
    variants.add(calibrate.plan_key("m", "r1", 4, "none", 16))
    monkeypatch.setattr(workers, "usable_cores", lambda: 2)
    monkeypatch.setattr(cpu, "Path", FakeCpuinfo(info.replace("Xeon", "Core i7")))
    variants.add(calibrate.plan_key("m", "r1", 4, "none", 16))
    monkeypatch.setattr(cpu, "Path", FakeCpuinfo(info.replace("avx512_vnni", "amx_int8")))
    variants.add(calibrate.plan_key("m", "r1", 4, "none", 16))
    # The bf16 extensions (avx512_bf16, AMX's) are keyed on too.
    bf16 = info.replace("sse", "avx512_bf16 amx_tile amx_bf16")
    monkeypatch.setattr(cpu, "Path", FakeCpuinfo(bf16))
    assert calibrate.machine() == "Intel Xeon [avx2 avx512f avx512_vnni avx512_bf16 amx_bf16] x2"
    variants.add(calibrate.plan_key("m", "r1", 4, "none", 16))
    monkeypatch.setattr(cpu, "Path", FakeCpuinfo(info))
    # torch's version as its package's metadata says it (no torch import for the key).
    assert calibrate.torch_version() == torch.__version__
    monkeypatch.setattr(calibrate, "torch_version", lambda: "9.9.9")
    variants.add(calibrate.plan_key("m", "r1", 4, "none", 16))
    assert base not in variants and len(variants) == 11


def test_a_plan_for_another_key_is_not_used(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = calibrate.machine()
    monkeypatch.setattr(calibrate, "machine", lambda: "Other CPU [avx2] x64")
    elsewhere = key_of(tiny_model)
    calibrate.store_plan(elsewhere, Plan(1, 1, "plain"), {})
    monkeypatch.setattr(calibrate, "machine", lambda: real)
    calibrate.store_plan(key_of(tiny_model, beams=4), Plan(1, 1, "plain"), {})
    calibrate.store_plan(key_of(tiny_model, batch_size=8), Plan(1, 1, "plain"), {})
    calibrate.store_plan(key_of(tiny_model, quantize="int8"), Plan(1, 1, "fbgemm"), {})
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 2, "onednn"), calls))
    translator = load(tiny_model)
    assert calls and translator.kernels == "onednn" and layout_of(translator) == (1, 2)
    plans = stored(private_cache)
    assert len(plans) == 5 and plans[elsewhere]["kernels"] == "plain"  # the others are kept
    assert plans[key_of(tiny_model)]["kernels"] == "onednn"


BAD_FILES = {
    "not json": "{not json",
    "not utf-8": "\udcff",
    "a list": "[1, 2]",
    "entry not an object": '{"KEY": [2, 1, "plain"]}',
    "missing field": '{"KEY": {"workers": 2, "kernels": "plain"}}',
    "workers a string": '{"KEY": {"workers": "2", "threads": 1, "kernels": "plain"}}',
    "workers a bool": '{"KEY": {"workers": true, "threads": 1, "kernels": "plain"}}',
    "no workers": '{"KEY": {"workers": 0, "threads": 1, "kernels": "plain"}}',
    "negative threads": '{"KEY": {"workers": 1, "threads": -1, "kernels": "plain"}}',
    "unknown kernels": '{"KEY": {"workers": 1, "threads": 1, "kernels": "cuda"}}',
    "int8 kernels for fp32": '{"KEY": {"workers": 1, "threads": 1, "kernels": "fbgemm"}}',
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_damaged_calibration_is_ignored_and_redone(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    path = private_cache / "sejajar" / "calibration.json"
    path.parent.mkdir(parents=True)
    text = content.replace("KEY", key_of(tiny_model).replace("\\", "\\\\"))
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), calls))
    translator = load(tiny_model)
    assert calls and translator.kernels == "plain" and layout_of(translator) == (1, 1)
    assert all(t.text for t in translator.translate(TEXTS))
    entry = stored(private_cache)[key_of(tiny_model)]
    assert (entry["workers"], entry["threads"], entry["kernels"]) == (1, 1, "plain")


@pytest.mark.parametrize("where", ["cache home is a file", "calibration.json is a folder"])
def test_an_unwritable_cache_still_loads_and_translates(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    home = tmp_path / "home"
    if where == "cache home is a file":
        home.write_text("a file")
    else:
        (home / "sejajar" / "calibration.json").mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), calls))
    for _ in range(2):  # nothing is kept, so the second load calibrates again
        translator = load(tiny_model)
        assert translator.kernels == "plain"
        assert all(t.text for t in translator.translate(TEXTS))
    assert len(calls) == 2
    assert home.is_file() or not any(p.is_file() for p in home.rglob("*"))


@pytest.mark.parametrize(
    "options",
    [
        {"workers": 1},
        {"threads": 1},
        pytest.param({"workers": 2, "threads": 1}, marks=pytest.mark.slow),
        {"calibrate": False},
        {},
    ],
    ids=["workers", "threads", "both", "calibrate=False", "SEJAJAR_CALIBRATE=0"],
)
def test_explicit_layouts_and_the_switch_skip_calibration(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, options: Any
) -> None:
    if not options:
        monkeypatch.setenv("SEJAJAR_CALIBRATE", "0")
    monkeypatch.setattr(calibrate, "fastest", refuse)
    translator = load(tiny_model, **options)
    try:
        assert translator.calibration_note is None and translator.kernels == "onednn"
        assert all(t.text for t in translator.translate(TEXTS[:1]))
    finally:
        translator.close()
    assert not (private_cache / "sejajar" / "calibration.json").exists()


@pytest.mark.slow  # starts worker processes
def test_cli_tells_of_a_calibration_once(tiny_model: Path, tmp_path: Path) -> None:
    # An article is too short to repay a calibration (test_plans.py): sejajar calibrate
    # calibrates, and says so once; translate then reads the plan without a word.
    args = ["translate", str(KONTAN), "--model", str(tiny_model), "--beams", "1", "--no-cache"]
    note = "Calibrated this CPU"
    code, _out, err = run("calibrate", "--model", str(tiny_model), "--beams", "1")
    assert code == 0 and err.count(note) == 1, err
    code, _out, err = run(*args, "--out", str(tmp_path / "second"))
    assert code == 0 and note not in err and "too short" not in err, err


def test_cli_no_calibrate_says_nothing_and_keeps_nothing(
    tiny_model: Path, tmp_path: Path, private_cache: Path
) -> None:
    args = ["translate", str(KONTAN), "--model", str(tiny_model), "--beams", "1", "--no-cache"]
    code, _out, err = run(*args, "--out", str(tmp_path), "--no-calibrate")
    assert code == 0 and "alibrat" not in err, err
    assert not (private_cache / "sejajar" / "calibration.json").exists()
