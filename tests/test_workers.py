"""Worker processes: the same translations as one process, progress for every input, the
layout chosen by default, and no worker left behind however a run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.marian import load_marian
from sejajar.translate.split import split_text
from sejajar.translate.translator import TranslatorError
from sejajar.translate.workers import layout
from tests.helpers import one_process, paused_env, wait_for_pause
from tests.modelfactory import ROOT

KONTAN = (ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt").read_text("utf-8")
SENTENCES = [s.text for s in split_text(KONTAN) if s.kind.value == "sentence"]


def children() -> set[int]:
    """Process ids of this process's live children."""
    found = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        listed = (task / "children").read_text().split()
        found.update(int(pid) for pid in listed)
    return {pid for pid in found if Path(f"/proc/{pid}").exists()}


@pytest.mark.slow
@pytest.mark.parametrize("beams", [1, 3])
def test_workers_translate_as_one_process(tiny_model: Path, beams: int) -> None:
    alone = load_marian(one_process(tiny_model, beams=beams, batch_size=4, workers=1))
    assert alone.pool is None
    before = children()
    pooled = load_marian(one_process(tiny_model, beams=beams, batch_size=4, workers=2, threads=1))
    try:
        assert pooled.pool is not None and len(children() - before) == 2
        seen: list[int] = []
        got = pooled.translate(SENTENCES, progress=seen.append)
        assert got == alone.translate(SENTENCES)
        assert sum(seen) == len(SENTENCES)
        # Fewer sentences than a batch still keep both workers busy: two batches, not one.
        assert pooled.translate(SENTENCES[:3]) == alone.translate(SENTENCES[:3])
    finally:
        pooled.close()
    assert children() <= before


def test_default_layout() -> None:
    cores = len(os.sched_getaffinity(0))
    assert layout(None, None, "cpu") == (min(cores, 8), max(1, cores // min(cores, 8)))
    assert layout(None, None, "cuda") == (1, cores)
    assert layout(None, 2, "cpu") == (1, 2)  # --threads alone: one process with that many
    assert layout(3, None, "cpu") == (3, max(1, cores // 3))
    assert layout(2, 2, "cpu") == (2, 2)


def test_workers_on_a_gpu_is_a_clear_error(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(TranslatorError, match=r"^workers runs on the CPU only; use device cpu$"):
        load_marian(one_process(tiny_model, device="cuda", workers=2))


@pytest.mark.slow
def test_cli_workers_give_the_same_outputs(tiny_model: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.id.txt"
    article.write_text(KONTAN, "utf-8")
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        args = ["translate", str(article), "--out", str(out), "--model", str(tiny_model)]
        result = CliRunner().invoke(app, [*args, "--workers", workers, "--no-cache"])
        assert result.exit_code == 0, result.output
        outputs[workers] = (out / "a.id.tsv").read_text("utf-8")
    assert outputs["1"] == outputs["2"]


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_no_worker_outlives_its_run(how: signal.Signals, tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(60):
        (folder / f"a{i:02}.id.txt").write_text(f"{KONTAN}\nBaris nomor {i} yang baru.\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sejajar", "translate", str(folder), "--out", str(out)]
    cmd += ["--model", str(tiny_model), "--workers", "2", "--no-cache"]
    flag = tmp_path / "paused"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=paused_env(flag, after=2))  # fmt: skip
    wait_for_pause(flag, proc)  # mid-run: two articles written, the pool up
    workers = [
        int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    ]
    assert len(workers) == 2
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGKILL: -9}[how]
    if how == signal.SIGINT:
        assert "Traceback" not in err and err.strip().endswith(
            "outputs written so far are complete"
        )
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    # A worker whose parent died is reaped by init; its /proc entry goes with it.
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_beyond_cores_and_memory_are_cut_once_before_forking(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--workers 1000 used to fork 1000 processes (killed by the kernel, exit 137, no word):
    the pool is cut to the usable cores and the memory available, and the user told once."""
    from sejajar.translate import workers

    monkeypatch.setattr(workers, "available_memory", lambda: 3 * workers.WORKER_BYTES // 2)
    before = children()
    article = tmp_path / "a.txt"
    article.write_text(KONTAN)
    result = CliRunner().invoke(
        app,
        ["translate", str(article), "--out", str(tmp_path / "o"), "--model", str(tiny_model),
         "--beams", "1", "--workers", "1000", "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        f"Warning: --workers 1000 cut to 1: {len(os.sched_getaffinity(0))} usable cores, "
        "0.6 GB of memory free (about 400 MB a worker)"
    ]
    assert (tmp_path / "o" / "a.tsv").exists()
    assert children() <= before
    assert workers.capped(1) == (1, None)
