"""Never lose work: failing writes, a folder with a bad file, interruption and resume."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sejajar.align.export.tsv import parse_tsv
from sejajar.core.files import write_atomic
from tests.helpers import KONTAN, paused_env, run, wait_for_pause

# --- writing ---------------------------------------------------------------------------------


def test_disk_full_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.tsv"
    target.write_text("previous complete content\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new content\n" * 1000)
    assert target.read_text() == "previous complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]


def test_disk_full_during_a_run_is_one_line(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run(
        "translate",
        str(KONTAN),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 1
    assert err.startswith(
        f"Error: {KONTAN}: cannot write to {tmp_path / 'o'}: No space left on device\n"
    )
    assert list((tmp_path / "o").iterdir()) == []


def test_out_not_writable(tiny_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(
        "translate",
        str(KONTAN),
        "--out",
        str(blocker / "sub"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 1
    assert err.startswith(f"Error: {KONTAN}: cannot write to {blocker / 'sub'}: Not a directory\n")


# --- folders, interruption, resume -----------------------------------------------------------


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    base = KONTAN.read_text().splitlines()
    for k in range(count):
        # Each article differs from the others in one sentence.
        lines = [*base, f"Artikel nomor {k} selesai ditulis pada hari ke-{k}."]
        (folder / f"a{k:03d}.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_folder_with_a_bad_file_reports_and_goes_on(tiny_model: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 3)
    (folder / "sub").mkdir()
    (folder / "sub" / "bad.txt").write_bytes(b"\xff\xfe\x00")
    (folder / "notes.md").write_text("not an article")
    code, out, err = run(
        "translate",
        str(folder),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    assert code == 1
    assert out.count(" -> ") == 3
    assert err.endswith(
        "4 inputs: 3 done, 0 skipped, 1 failed; 15 sentences translated, "
        "0 from the cache, 24 repeated in the run\n"
        "Error: 1 of 4 inputs failed\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupt_then_resume(how: signal.Signals, tiny_model: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 40)
    out, cache = tmp_path / "o", tmp_path / "c.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "sejajar",
        "translate",
        str(folder),
        "--out",
        str(out),
        "--model",
        str(tiny_model),
        "--beams",
        "2",
        "--cache",
        str(cache),
    ]
    flag = tmp_path / "paused"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=paused_env(flag, after=3))  # fmt: skip
    wait_for_pause(flag, proc)  # three articles written, the rest of their window not
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    expected = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -9}[how]
    assert proc.returncode == expected, err
    if how != signal.SIGKILL:
        assert "Traceback" not in err and err.strip().endswith(
            "outputs written so far are complete"
        )
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    done = sorted(p.stem for p in out.glob("*.html"))
    assert len(done) == 3
    for tsv in out.glob("*.tsv"):  # whatever exists is complete
        assert len(parse_tsv(tsv.read_text())) == 13
    code = subprocess.run([*cmd, "--skip-existing"], capture_output=True, text=True, timeout=600)
    assert code.returncode == 0, code.stderr
    summary = code.stderr.strip().splitlines()[-1]
    assert summary.startswith("40 inputs: 37 done, 3 skipped, 0 failed; ")
    # Only what was not done is translated: one new sentence per remaining article at most,
    # the twelve shared ones come from the cache.
    translated = int(summary.split("; ")[1].split()[0])
    assert translated <= 37
    assert len(list(out.glob("*.tsv"))) == 40
