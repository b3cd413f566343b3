"""Hostile files and folders (issue 14): names that are not UTF-8, outputs that are inputs,
stale temporaries, endless inputs, long names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import run
from tests.modelfactory import ROOT

ARTICLE = "Harga naik 5 persen.\nPresiden tiba di Jakarta. Ia disambut.\n"


def _translate(tiny_model: Path, *args: str) -> tuple[int, str, str]:
    return run("translate", *args, "--model", str(tiny_model), "--beams", "1", "--no-cache")


def test_a_name_that_is_not_utf8_fails_alone(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (b"a.txt", b"caf\xe9.txt", b"z.txt"):
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(name)).write_text(ARTICLE)
    code, out, err = _translate(tiny_model, str(folder), "--out", str(tmp_path / "o"))
    assert code == 1, err
    assert f"Error: {folder}/caf\\xe9.txt: the file name is not UTF-8; rename it\n" in err
    assert out.count(" -> ") == 2
    assert "3 inputs: 2 done, 0 skipped, 1 failed" in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "a.html", "a.tsv", "z.html", "z.tsv",
    ]  # fmt: skip


def test_a_folder_that_is_not_utf8_prints_escaped(tiny_model: Path, tmp_path: Path) -> None:
    # A real process, whose stdout refuses lone surrogates, as a pipe does.
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/d\xff"))
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE)
    done = subprocess.run(
        [sys.executable, "-m", "sejajar", "translate", str(folder), "--out", str(tmp_path / "o"),
         "--model", str(tiny_model), "--beams", "1", "--no-cache", "--workers", "1"],
        capture_output=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith(f"{tmp_path}/d\\xff/a.txt -> {tmp_path}/o/a.tsv")
