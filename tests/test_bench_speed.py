"""What ``bench.speed`` prints from its figures, on made-up figures: the machine line names
every flag calibration keys on, and bf16's rounds give its median speed-ups and its targets."""

from __future__ import annotations

import pytest

from bench import speed_report
from bench.systems import machine
from sejajar.translate import cpu


def test_the_machine_line_names_every_flag_calibration_keys_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flags = frozenset({"fpu", "fma", "avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"})
    monkeypatch.setattr(cpu, "cpuinfo", lambda: ("Intel Xeon", flags))
    line = machine()
    assert line.startswith("Intel Xeon; ")
    assert line.endswith("flags: fma avx2 avx512f avx512_bf16 amx_bf16")


def test_bf16_rounds_give_median_speedups_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    # Three rounds; bf16 2.5x fp32 in two of them, 1.0x in the other: the median is 2.5.
    runs = {
        "default bf16": [1.0, 1.0, 2.0],
        "default fp32": [2.5, 2.5, 2.0],
        "CT2 float32": [1.2, 1.4, 1.6],
        "CT2 int8": [0.9, 1.0, 1.1],
    }
    figures = {"seconds": {n: min(t) for n, t in runs.items()}, "runs": runs}
    speed_report.bf16_header(3)
    speedups = speed_report.bf16_row("beam 4", figures, tokens=100)
    assert speedups == pytest.approx({"default fp32": 2.5, "CT2 float32": 1.2, "CT2 int8": 0.9})
    results = {
        "sejajar transformers beam 4 fp32": {"tokens": 10, "seconds": 1.0, "peak_mb": 900},
        "sejajar transformers beam 4 bf16": {"tokens": 10, "seconds": 0.5, "peak_mb": 800},
    }
    speed_report.targets(results, {}, {"beam 4": speedups})
    out = capsys.readouterr().out
    assert "beam 4                   100" in out  # bf16's best round: 100 tokens in 1 s
    assert "default beam 4 bf16 vs default fp32 (interleaved, median)" in out
    lines = {line[:64].strip(): line[64:] for line in out.splitlines()}
    assert lines["default beam 4 bf16 vs default fp32 (interleaved, median)"].split() == [
        "2.50",
        ">=",
        "2.0",
        "met",
    ]
    assert lines["default beam 4 bf16 vs CT2 float32 (interleaved, median)"].split() == [
        "1.20",
        ">=",
        "1.5",
        "MISSED",
    ]
    assert lines["default engine beam 4 bf16 peak memory, MB (run alone)"].split() == [
        "800",
        "<=",
        "900",
        "met",
        "(fp32's)",
    ]


def test_the_targets_hold_the_engine_each_plan_runs_to_ctranslate2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 29: no setting behind CTranslate2, with calibration's choice of engine counted."""
    ratios = {"greedy int8": (0.59, 0.91, 1.04), "beam 4 fp32": (0.94, 0.95, 0.97)}
    speed_report.targets({}, ratios)
    lines = {line[:64].strip(): line[64:].split() for line in capsys.readouterr().out.splitlines()}
    assert lines["as run (the plan's engine) greedy int8 vs CT2 (interleaved)"] == [
        "1.04", ">=", "1.0", "met"
    ]  # fmt: skip
    assert lines["as run (the plan's engine) beam 4 fp32 vs CT2 (interleaved)"][-1] == "MISSED"
    assert lines["default engine greedy int8 vs CT2 (interleaved, median)"][-1] == "MISSED"
