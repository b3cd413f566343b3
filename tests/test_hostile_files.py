"""Hostile files and folders (issue 14): names that are not UTF-8, outputs that are inputs,
stale temporaries, endless inputs, long names."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sejajar.core import files
from sejajar.core.files import InputError, read_article, read_lines, write_atomic
from sejajar.jobs.files import check_outputs
from sejajar.translate.ct2 import load_ct2
from sejajar.translate.engines import ModelSettings, open_translator
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


@pytest.mark.slow
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


# --- outputs that are inputs -----------------------------------------------------------------


def test_outputs_in_a_folder_are_not_articles(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text(ARTICLE)
    args = (str(tmp_path), "--out", str(tmp_path), "--format", "tsv,beads", "--force")
    for _ in range(2):
        code, out, err = _translate(tiny_model, *args)
        assert code == 0, err
        assert out == f"{tmp_path}/x.txt -> {tmp_path}/x.tsv, {tmp_path}/x.align.txt\n"
        assert err.startswith("1 inputs: 1 done")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.align.txt", "x.tsv", "x.txt"]


def test_an_output_that_is_an_input_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.tsv"
    notes.write_text(ARTICLE)
    code, out, err = _translate(tiny_model, str(notes), "--out", str(tmp_path), "--force")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {notes} would overwrite the input {notes}; choose another --out folder\n"
    )
    assert notes.read_text() == ARTICLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tsv"]


def test_an_input_named_like_another_inputs_output_is_refused(
    tiny_model: Path, tmp_path: Path
) -> None:
    (tmp_path / "x.txt").write_text(ARTICLE)
    (tmp_path / "x.align.txt").write_text(ARTICLE)
    code, _, err = _translate(
        tiny_model, str(tmp_path / "x.txt"), str(tmp_path / "x.align.txt"),
        "--out", str(tmp_path / "." / "sub" / ".."), "--format", "beads", "--force",
    )  # fmt: skip
    assert code == 1
    assert "would overwrite the input" in err and err.count("\n") == 1
    assert (tmp_path / "x.align.txt").read_text() == ARTICLE


def test_align_refuses_to_overwrite_its_target(tmp_path: Path) -> None:
    source, target = tmp_path / "a.txt", tmp_path / "a.tsv"
    source.write_text(ARTICLE)
    target.write_text("Prices rose 5 percent.\n")
    code, _, err = run(
        "align", str(source), str(target), "--out", str(tmp_path), "--no-bridge", "--force"
    )
    assert code == 1
    assert (
        err == f"Error: {target} would overwrite the input {target}; choose another --out folder\n"
    )
    assert target.read_text() == "Prices rose 5 percent.\n"


# --- leftovers of killed runs, endless inputs, long names ------------------------------------


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stale_temporaries_of_the_outputs_are_removed(tmp_path: Path) -> None:
    source, out = tmp_path / "a.txt", tmp_path / "o"
    source.write_text(ARTICLE)
    out.mkdir()
    stale, live, other = (
        out / n for n in (".a.tsv.k3j_x9q2.tmp", ".a.tsv.p0o9i8u7.tmp", ".b.tsv.k3j_x9q2.tmp")
    )
    for path in (stale, live, other):
        path.write_text("half")
    _age(stale, 3600)
    _age(other, 3600)
    check_outputs([source], out, ["tsv", "html"], force=False)
    assert sorted(p.name for p in out.iterdir()) == [live.name, other.name]


def test_stale_conversions_are_removed(tiny_model: Path, tmp_path: Path) -> None:
    root = tmp_path / "ct2"
    (root / ".converting-old" / "model").mkdir(parents=True)
    (root / ".converting-live" / "model").mkdir(parents=True)
    (root / ".converting-old" / "model" / "model.bin").write_bytes(b"x" * 100)
    for path in (root / ".converting-old", *(root / ".converting-old").rglob("*")):
        _age(path, 3600)
    load_ct2(ModelSettings(model=str(tiny_model), beams=1, conversions=root)).close()
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == [".converting-live"]


def test_conversion_follows_the_cache_setting(
    tiny_model: Path, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ModelSettings(model=str(tiny_model), engine="ctranslate2", beams=1)
    with open_translator(settings, tmp_path / "c" / "t.sqlite") as session:
        session().translate(["Harga naik."])
    assert [p.name for p in (tmp_path / "c" / "ctranslate2").iterdir()]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with open_translator(settings, False) as session:
        session().translate(["Harga naik."])
        (work,) = scratch.iterdir()
        assert work.name.startswith("sejajar-ctranslate2-") and any(work.iterdir())
    assert list(scratch.iterdir()) == []
    assert not list(private_cache.rglob("ctranslate2"))


def test_endless_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        InputError, match=r"^/dev/zero: larger than 64 MB, the limit for one input; split it$"
    ):
        read_article(Path("/dev/zero"))
    code, out, err = run("translate", "/dev/zero", "--out", str(tmp_path), "--model", "none")
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: /dev/zero: larger than 64 MB, the limit for one input; split it\n"
    )
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 1000)
    (tmp_path / "big.txt").write_text("kata " * 201)
    with pytest.raises(InputError, match="larger than 0 MB"):
        read_lines(tmp_path / "big.txt")


def test_a_long_name_that_fits_is_written(tmp_path: Path) -> None:
    path = tmp_path / ("a" * 251 + ".tsv")  # 255 bytes, the most a name may have
    write_atomic(path, "x\n")
    assert path.read_text() == "x\n"
    stale = tmp_path / (files._temp_prefix(path.name) + "abcdefgh.tmp")
    stale.write_text("half")
    _age(stale, 3600)
    files.remove_stale_temporaries([path])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_output_name_too_long_is_refused_before_the_model_runs(
    tiny_model: Path, tmp_path: Path
) -> None:
    """A 255-byte input name used to fail after the translation (NAME.html: 256 bytes) and
    leave NAME.tsv behind."""
    folder = tmp_path / "in"
    folder.mkdir()
    name = "b" * 251 + ".txt"  # 255 bytes: NAME.tsv fits, NAME.html does not
    (folder / name).write_text(ARTICLE)
    code, out, err = run(
        "translate", str(folder / name), "--out", str(tmp_path / "o"), "--model", "none"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {folder / name}: the output name {'b' * 251}.html is 256 bytes, over the 255 "
        "a file name may have; rename the input\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_failing_write_leaves_no_partial_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sejajar.align.pipeline import translate_document
    from sejajar.jobs import files as job_files
    from sejajar.jobs.files import load_document, write_outputs
    from tests.helpers import FakeTranslator

    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    doc = translate_document(load_document(source), FakeTranslator())
    written: list[Path] = []

    def failing(path: Path, text: str) -> None:
        if written:
            raise OSError(28, "No space left on device")
        write_atomic(path, text)
        written.append(path)

    monkeypatch.setattr(job_files, "write_atomic", failing)
    with pytest.raises(OSError, match="No space"):
        write_outputs(doc, source, tmp_path / "o", ["tsv", "html"])
    assert written and list((tmp_path / "o").iterdir()) == []


def test_a_fifo_in_a_folder_is_refused_and_never_blocks(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE)
    os.mkfifo(folder / "pipe.txt")  # no writer: opening it would wait forever
    cmd = [
        sys.executable, "-m", "sejajar", "translate", str(folder), "--out", str(tmp_path / "o"),
        "--model", str(tiny_model), "--beams", "1", "--no-cache", "--workers", "1",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"Error: {folder / 'pipe.txt'}: a FIFO, not a regular file; skipped\n" in done.stderr
    assert "2 inputs: 1 done, 0 skipped, 1 failed" in done.stderr
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.html", "a.tsv"]


def test_a_named_fifo_is_read_like_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf 'Harga naik.\\n' > {fifo}"])
    assert read_article(fifo) == "Harga naik.\n"
    writer.wait(timeout=10)
    monkeypatch.setattr(files, "FIFO_WAIT_SECONDS", 0.2)  # no writer comes
    with pytest.raises(InputError, match=r"pipe.txt: a FIFO with no writer after 0.2 s$"):
        read_article(fifo)
