"""A worker process that dies (the OOM killer, a crash in a native library) costs a retry,
not the run: its batch goes to a fresh worker once; if that dies too, that input fails with
one error line and the other inputs are still translated. Never a hang."""

from __future__ import annotations

import contextlib
import faulthandler
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.marian import MarianTranslator
from sejajar.translate.translator import Translation
from sejajar.translate.workers import WorkerDied, WorkerPool

pytestmark = pytest.mark.slow  # worker processes

DEADLY = "Kalimat ini membunuh prosesnya."


@pytest.fixture(autouse=True)
def time_limit() -> Iterator[None]:
    """A lost batch used to hang the run forever: fail the test instead."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the run hung")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(240)
    # If the hung code swallows the alarm's exception (the old pool's terminate() could
    # wait forever too), end the test process with a traceback rather than hang.
    faulthandler.dump_traceback_later(360, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def die_on(texts: Sequence[str], once: Path | None) -> None:
    """SIGKILL the calling worker when the batch holds the deadly sentence (only the first
    time when ``once`` is a marker file, which all workers see)."""
    if any(DEADLY in t for t in texts) and (once is None or not once.exists()):
        if once is not None:
            once.touch()
        os.kill(os.getpid(), signal.SIGKILL)


class Upper:
    """A stand-in engine: upper-cases, and dies on the deadly sentence."""

    def __init__(self, once: Path | None) -> None:
        self.once = once

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        die_on(texts, self.once)
        return [Translation(t.upper()) for t in texts]


BATCHES = [[f"kalimat {i}a", f"kalimat {i}b"] for i in range(6)]


def test_a_batch_whose_worker_dies_once_is_retried(tmp_path: Path) -> None:
    pool = WorkerPool(Upper(tmp_path / "died"), workers=2, threads=1)
    try:
        batches = [*BATCHES[:3], [DEADLY], *BATCHES[3:]]
        got = dict(pool.run(batches))
        assert (tmp_path / "died").exists()
        assert got == {i: [Translation(t.upper()) for t in b] for i, b in enumerate(batches)}
    finally:
        pool.close()


def test_a_batch_whose_worker_dies_twice_fails_alone(tmp_path: Path) -> None:
    pool = WorkerPool(Upper(None), workers=2, threads=1)
    try:
        batches = [*BATCHES[:3], [DEADLY], *BATCHES[3:]]
        got: dict[int, list[Translation]] = {}
        with pytest.raises(WorkerDied, match=r"batch 4 of 7 \(killed by SIGKILL\)"):
            for number, results in pool.run(batches):
                got[number] = results
        assert sorted(got) == [0, 1, 2, 4, 5, 6]  # every other batch was done
        # The pool is whole again for the next run.
        assert dict(pool.run(BATCHES)) == {
            i: [Translation(t.upper()) for t in b] for i, b in enumerate(BATCHES)
        }
    finally:
        pool.close()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    base = "Presiden tiba di Jakarta pada Senin pagi. Harga beras naik tajam.\n"
    (folder / "a.txt").write_text(base + "Warga diminta tetap tenang.\n")
    (folder / "b.txt").write_text(base + DEADLY + "\n")
    (folder / "c.txt").write_text(base + "Pemerintah berjanji menambah pasokan.\n")
    return folder


def _run(tiny_model: Path, folder: Path, out: Path) -> tuple[int, str]:
    args = ["translate", str(folder), "--out", str(out), "--model", str(tiny_model)]
    result = CliRunner().invoke(app, [*args, "--beams", "1", "--workers", "2", "--no-cache"])
    return result.exit_code, result.output


def _patch(monkeypatch: pytest.MonkeyPatch, once: Path | None) -> None:
    # Patched before the workers fork, so they inherit it.
    generate = MarianTranslator.generate

    def dying(self: MarianTranslator, texts: Sequence[str]) -> list[Translation]:
        die_on(texts, once)
        return generate(self, texts)

    monkeypatch.setattr(MarianTranslator, "generate", dying)


def test_cli_run_survives_a_worker_killed_once(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    code, _ = _run(tiny_model, folder, tmp_path / "clean")
    assert code == 0
    _patch(monkeypatch, tmp_path / "died")
    code, output = _run(tiny_model, folder, tmp_path / "out")
    assert code == 0, output
    assert (tmp_path / "died").exists()
    for name in ("a", "b", "c"):
        tsv = f"{name}.tsv"
        assert (tmp_path / "out" / tsv).read_text() == (tmp_path / "clean" / tsv).read_text()


def test_cli_input_whose_worker_dies_twice_fails_alone(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    _patch(monkeypatch, None)
    code, output = _run(tiny_model, folder, tmp_path / "out")
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert errors[0].startswith(
        f"Error: {folder / 'b.txt'}: cannot translate: a worker process died"
    )
    assert "killed by SIGKILL" in errors[0]
    assert errors[1:] == ["Error: 1 of 3 inputs failed"]
    assert "3 inputs: 2 done, 0 skipped, 1 failed" in output
    assert "Traceback" not in output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a.html",
        "a.tsv",
        "c.html",
        "c.tsv",
    ]


# --- kills in a loop -----------------------------------------------------------------------

WORDS = "harga beras naik tajam warga pasar kota presiden tiba pagi pemerintah janji".split()


def _articles(folder: Path, count: int) -> None:
    """``count`` articles of distinct sentences (no two alike, so the workers stay busy)."""
    folder.mkdir()
    for k in range(count):
        sentences = [
            " ".join(WORDS[(k * 7 + s * 3 + i) % len(WORDS)] for i in range(9)).capitalize()
            + f" nomor {k} {s}."
            for s in range(12)
        ]
        (folder / f"a{k:03d}.txt").write_text(" ".join(sentences) + "\n")


def _workers_of(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _cli(tiny_model: Path, folder: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "sejajar", "translate", str(folder), "--out", str(out),
        "--model", str(tiny_model), "--beams", "2", "--workers", "2", "--batch-size", "4",
        "--no-cache",
    ]  # fmt: skip


@pytest.mark.slow
def test_workers_killed_in_a_loop_never_hang_the_run(tiny_model: Path, tmp_path: Path) -> None:
    """Twenty kills (SIGKILL and SIGTERM, the replacement forks too, at any moment) over a
    multi-file run: the run ends, every input has its right outputs or one error line."""
    signal.alarm(480)  # two runs of the model: more than the fixture's limit on a busy machine
    folder, clean, out = tmp_path / "in", tmp_path / "clean", tmp_path / "out"
    _articles(folder, 16)
    done = subprocess.run(_cli(tiny_model, folder, clean), capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        _cli(tiny_model, folder, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    chooser = random.Random(25)
    kills = 0
    try:
        while kills < 20 and proc.poll() is None:
            time.sleep(chooser.uniform(0.05, 0.5))
            workers = _workers_of(proc.pid)
            if workers:
                how = signal.SIGKILL if kills % 2 else signal.SIGTERM
                with contextlib.suppress(ProcessLookupError):
                    os.kill(chooser.choice(workers), how)
                    kills += 1
        _, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert kills >= 10, "the run ended before the kills"
    assert proc.returncode in (0, 1), stderr
    assert "Traceback" not in stderr and "Interrupted" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    failed = {line.split(": ")[1] for line in errors if ": cannot translate: " in line}
    assert all(": cannot translate: " in e or e.endswith(" of 16 inputs failed") for e in errors)
    for article in sorted(folder.iterdir()):
        outputs = sorted(out.glob(f"{article.stem}.*"))
        if str(article) in failed:
            assert outputs == [], outputs
            continue
        assert [p.name for p in outputs] == [f"{article.stem}.html", f"{article.stem}.tsv"]
        for path in outputs:
            assert path.read_bytes() == (clean / path.name).read_bytes()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
