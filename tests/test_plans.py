"""The first run on a new machine (issue 29, item 5): ``sejajar calibrate`` bakes a plan that a
later translate uses without calibrating; a plan file for another CPU is ignored with a
warning, never used; a job too short to repay a calibration runs with the default plan and
says so; a bad plan file is one error line and a non-zero exit."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate import calibrate, plans
from sejajar.translate.calibrate import Plan
from tests.calibrating import TEXTS, forced, load
from tests.helpers import KONTAN, run

pytestmark = pytest.mark.usefixtures("calibrating")


def refuse(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
    raise AssertionError("calibrated")


def translate(model: Path, out: Path, *options: str) -> tuple[int, str, str]:
    return run("translate", str(KONTAN), "--model", str(model), "--beams", "1", "--no-cache",
               "--out", str(out), *options)  # fmt: skip


def bake(model: Path, *options: str) -> tuple[int, str, str]:
    return run("calibrate", "--model", str(model), "--beams", "1", *options)


def test_calibrate_bakes_a_plan_that_translate_then_uses_without_calibrating(
    tiny_model: Path, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), calls))
    plan = tmp_path / "deploy" / "plan.json"
    code, out, err = bake(tiny_model, "--plan", str(plan))
    assert code == 0 and len(calls) == 1, err
    assert err.startswith("Calibrated this CPU") and err.count("\n") == 1
    assert out == f"plan for {calibrate.machine()} kept in {plan}\n"
    (entry,) = json.loads(plan.read_text()).values()
    assert (entry["workers"], entry["threads"], entry["kernels"]) == (1, 1, "plain")
    assert not (private_cache / "sejajar" / "calibration.json").exists()  # the file only

    monkeypatch.setattr(calibrate, "fastest", refuse)  # a calibration now fails the test
    code, _out, err = translate(tiny_model, tmp_path / "a", "--plan", str(plan))
    assert code == 0, err
    assert f"Plan from {plan}: 1 worker(s) x 1 thread(s), plain kernels" in err
    assert "Calibrated" not in err and "too short" not in err
    # The same through the environment, and with calibration switched off (it times nothing).
    monkeypatch.setenv("SEJAJAR_PLAN", str(plan))
    code, _out, err = translate(tiny_model, tmp_path / "b", "--no-calibrate")
    assert code == 0 and f"Plan from {plan}: 1 worker(s)" in err, err
    # A relative path is made absolute (Ray's actors and replicas read it too); standard
    # input's job is short too.
    monkeypatch.delenv("SEJAJAR_PLAN")
    monkeypatch.chdir(plan.parent)
    args = ["translate", "-", "--model", str(tiny_model), "--beams", "1", "--no-cache"]
    done = CliRunner().invoke(app, [*args, "--plan", plan.name], input=KONTAN.read_text())
    assert done.exit_code == 0 and f"Plan from {plan}: 1 worker(s)" in done.stderr
    done = CliRunner().invoke(app, args, input=KONTAN.read_text())
    assert done.exit_code == 0 and "too short to repay a calibration" in done.stderr
    # A given layout keeps the plan's kernels only.
    translator = load(tiny_model, plan=plan, workers=1)
    assert translator.kernels == "plain" and translator.pool is None
    assert translator.calibration_note == f"kernels from {plan}: plain"


def test_calibrate_without_a_plan_file_calibrates_this_machine_once(
    tiny_model: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), calls))
    cached = private_cache / "sejajar" / "calibration.json"
    code, out, err = bake(tiny_model)
    assert code == 0 and cached.is_file() and out.endswith(f"kept in {cached}\n"), err
    code, _out, err = bake(tiny_model)
    assert code == 1 and len(calls) == 1
    assert err == f"Error: {cached} holds a plan for this CPU and settings already; --force " \
        "calibrates again\n"  # fmt: skip
    assert bake(tiny_model, "--force")[0] == 0 and len(calls) == 2
    # Later loads read it, whatever the job's size.
    monkeypatch.setattr(calibrate, "fastest", refuse)
    translator = load(tiny_model, workload=10)
    assert translator.kernels == "plain" and translator.calibration_note is None
    # What leaves nothing to time is no option of the command.
    assert bake(tiny_model, "--workers", "2")[0] == 2
    code, _out, err = bake(tiny_model, "--device", "cuda", "--force")
    assert code == 1 and err.count("\n") == 1 and err.startswith("Error: "), err
    code, _out, err = bake(tiny_model, "--engine", "ctranslate2")
    assert code == 2 and err.count("\n") == 1 and "only the default engine" in err


def test_a_plan_for_another_cpu_is_ignored_with_a_warning(
    tiny_model: Path, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.json"
    real = calibrate.machine()
    monkeypatch.setattr(calibrate, "machine", lambda: "Other CPU [avx2] x64")
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), []))
    assert bake(tiny_model, "--plan", str(plan))[0] == 0
    monkeypatch.setattr(calibrate, "machine", lambda: real)
    monkeypatch.setattr(calibrate, "fastest", refuse)
    code, _out, err = translate(tiny_model, tmp_path / "out", "--plan", str(plan))
    assert code == 0, err
    warning = (
        f"Warning: --plan {plan} has no plan for this CPU ({real}): it has plans for "
        "Other CPU [avx2] x64; ignored\n"
    )
    assert err.count(warning) == 1, err
    # Not used: the short job's default plan instead, said so.
    assert "plain kernels" not in err and "too short to repay a calibration" in err
    # A long job with the same file calibrates as with none.
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 2, "onednn"), calls))
    translator = load(tiny_model, plan=plan, workload=plans.REPAYS)
    assert calls and translator.kernels == "onednn" and translator.plan_warning
    # A file with this CPU's plan for other settings: the warning names this load's.
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), []))
    assert bake(tiny_model, "--plan", str(plan))[0] == 0
    monkeypatch.setattr(calibrate, "fastest", refuse)
    other = load(tiny_model, plan=plan, beams=2, workload=10)
    assert other.plan_warning and "beams=2" in other.plan_warning
    assert "no plan for this model and settings on this CPU" in other.plan_warning


def test_a_short_job_runs_with_the_default_plan_and_a_long_one_calibrates(
    tiny_model: Path, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibrate, "fastest", refuse)
    short = load(tiny_model, workload=plans.REPAYS - 1)
    default = plans.default_plan("none")
    assert short.kernels == default.kernels == calibrate.KERNELS["none"][0]
    assert short.calibration_note and "too short to repay a calibration" in short.calibration_note
    assert default.describe() in short.calibration_note
    assert all(t.text for t in short.translate(TEXTS))
    short.close()
    assert not (private_cache / "sejajar" / "calibration.json").exists()  # nothing learnt
    code, _out, err = translate(tiny_model, tmp_path / "out")
    assert code == 0 and "too short to repay a calibration" in err, err
    assert "Calibrated" not in err
    # A long job, or one of unknown size (a service), calibrates at load as before.
    calls: list[int] = []
    monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), calls))
    assert load(tiny_model, workload=plans.REPAYS).kernels == "plain" and len(calls) == 1
    (private_cache / "sejajar" / "calibration.json").unlink()
    assert load(tiny_model).kernels == "plain" and len(calls) == 2


BAD_FILES = {
    "missing": None,
    "a folder": "",
    "not json": "{not json",
    "not utf-8": "\udcff",
    "a list": "[1, 2]",
    "keys not plan keys": '{"x": {"workers": 1}}',
    "damaged plan for this key": '{"KEY": {"workers": 0, "threads": 1, "kernels": "plain"}}',
    "kernels this build lacks": '{"KEY": {"workers": 1, "threads": 1, "kernels": "cuda"}}',
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_bad_plan_file_is_one_error_line_and_no_output(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None
) -> None:
    from sejajar.translate.models import weights_revision

    monkeypatch.setattr(calibrate, "fastest", refuse)
    plan = tmp_path / "plan.json"
    if content == "":
        plan.mkdir()
    elif content is not None:
        key = calibrate.plan_key(str(tiny_model), weights_revision(tiny_model), 1, "none", 16)
        text = content.replace("KEY", key.replace("\\", "\\\\"))
        plan.write_bytes(text.encode("utf-8", "surrogateescape"))
    code, out, err = translate(tiny_model, tmp_path / "out", "--plan", str(plan))
    assert code != 0 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"Error: --plan {plan}")
    assert not (tmp_path / "out").exists()
    if content in (None, ""):
        return
    # sejajar calibrate --force writes over a damaged plan for its key, never over a file
    # that is no plan file.
    code, _out, err = bake(tiny_model, "--plan", str(plan), "--force")
    if "KEY" in content:
        monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, "plain"), []))
        assert bake(tiny_model, "--plan", str(plan), "--force")[0] == 0
        assert translate(tiny_model, tmp_path / "out", "--plan", str(plan))[0] == 0
    else:
        assert code == 1 and err.startswith(f"Error: --plan {plan} is not a plan file"), err
        assert plan.read_bytes() == text.encode("utf-8", "surrogateescape")
