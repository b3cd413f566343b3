"""Every command through typer's CliRunner: outputs, exit codes and exact error messages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar import __version__
from sejajar.align.export.tsv import parse_tsv
from sejajar.cli import app
from sejajar.core.records import Kind
from sejajar.translate.split import split_text
from tests.helpers import KONTAN, TEXTS, run

runner = CliRunner()


def test_version_and_help() -> None:
    assert run("--version") == (0, f"sejajar {__version__}\n", "")
    code, out, _ = run("--help")
    assert code == 0 and "translate" in out and "split" in out


def test_help_shows_no_value_type_after_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sejajar --help`` and each command's, as a terminal shows them (typer's panels): a
    flag takes no value, so ``--force <bool>`` would say it does. Options that take one still
    show its type, and a default typed out as text is shown, not eaten as markup."""
    import typer

    monkeypatch.setenv("COLUMNS", "200")  # rich's width: one line an option
    names = list(typer.main.get_command(app).commands)
    assert len(names) > 8
    for command in [[], *([name] for name in names)]:
        code, text, _ = run(*command, "--help")
        assert code == 0 and "Show this message and exit." in text, command
        assert "<bool>" not in text, command
        assert re.search(r"--help +Show this message", text), command
    text = run("translate", "--help")[1]
    assert re.search(r"--force +Overwrite existing outputs", text)
    assert re.search(r"--beams +<int range>", text)
    assert "Threads per worker. [default: (auto)]" in text


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys; from sejajar.cli import app; import sejajar.translate, sejajar.align, sejajar.align.export;"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules;"
        "assert 'sqlalchemy' not in sys.modules and 'fastapi' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_m_translate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sejajar", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"sejajar {__version__}\n"


def test_split_prints_segments_and_kinds() -> None:
    code, out, _ = run("split", str(KONTAN), "--kinds")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "byline\tSumber: Reuters | Editor: Barratut Taqiyyah Rafie"
    assert "heading\tMenghentikan Korea Utara" in lines
    code, plain, _ = run("split", str(KONTAN))
    assert plain.splitlines()[0] == "Sumber: Reuters | Editor: Barratut Taqiyyah Rafie"


def test_translate_both_samples(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(
        "translate",
        *map(str, sorted(TEXTS.glob("*.txt"))),
        "--out",
        str(out),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    assert code == 0, stderr
    for source in sorted(TEXTS.glob("*.txt")):
        name = source.name.removesuffix(".txt")
        assert f"{source} -> {out / (name + '.tsv')}, {out / (name + '.html')}" in stdout
        rows = parse_tsv((out / f"{name}.tsv").read_text("utf-8"))
        expected = [
            s.text
            for s in split_text(source.read_text("utf-8"))
            if s.kind in (Kind.SENTENCE, Kind.HEADING)
        ]
        assert [s for s, _ in rows] == expected
        assert all(t for _, t in rows)
        page = (out / f"{name}.html").read_text("utf-8")
        assert f"model:{tiny_model}|rev:sha256:" in page and "beams:1" in page


def test_translate_is_byte_identical_across_runs(tiny_model: Path, tmp_path: Path) -> None:
    for folder in ("a", "b"):
        assert (
            run(
                "translate",
                str(KONTAN),
                "--out",
                str(tmp_path / folder),
                "--model",
                str(tiny_model),
                "--beams",
                "2",
            )[0]
            == 0
        )
    for suffix in (".tsv", ".html"):
        name = KONTAN.stem + suffix
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_existing_output_needs_force(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / f"{KONTAN.stem}.html").write_text("keep me")
    args = ("translate", str(KONTAN), "--out", str(tmp_path), "--model", str(tiny_model))
    code, _, err = run(*args)
    assert code == 1
    assert err == (
        f"Error: {tmp_path / (KONTAN.stem + '.html')} exists; use --force to overwrite or "
        "--skip-existing to resume\n"
    )
    assert (tmp_path / f"{KONTAN.stem}.html").read_text() == "keep me"
    assert not (tmp_path / f"{KONTAN.stem}.tsv").exists()
    assert run(*args, "--force")[0] == 0
    assert (tmp_path / f"{KONTAN.stem}.html").read_text().startswith("<!DOCTYPE html>")


def test_model_from_environment(tiny_model: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["translate", str(KONTAN), "--out", str(tmp_path)],
        env={"SEJAJAR_MODEL": str(tiny_model)},
    )
    assert result.exit_code == 0, result.stderr
    assert f"model:{tiny_model}" in (tmp_path / f"{KONTAN.stem}.html").read_text()


def test_keep_boilerplate(tiny_model: Path, tmp_path: Path) -> None:
    assert (
        run(
            "translate",
            str(KONTAN),
            "--out",
            str(tmp_path),
            "--model",
            str(tiny_model),
            "--beams",
            "1",
            "--keep-boilerplate",
        )[0]
        == 0
    )
    rows = parse_tsv((tmp_path / f"{KONTAN.stem}.tsv").read_text("utf-8"))
    assert rows[0][0] == "Sumber: Reuters | Editor: Barratut Taqiyyah Rafie"
    assert len(rows) == 15


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "Error: {p}: no such file\n"),
        ("empty", "Error: {p}: empty file, no text to translate\n"),
        ("binary", "Error: {p}: binary data (NUL bytes), not a text file\n"),
        ("latin1", "Error: {p}: invalid UTF-8 at line 2, column 4 (byte 0xe9); save it as UTF-8\n"),
    ],
)
def test_bad_inputs(setup: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / f"{setup}.txt"
    content = {"empty": b"  \n\n", "binary": b"\x00\x01\x02abc", "latin1": b"Baik.\nCaf\xe9 buka."}
    if setup in content:
        path.write_bytes(content[setup])
    # No model is loaded for inputs that fail: a bogus --model must not matter.
    code, _, err = run("translate", str(path), "--out", str(tmp_path / "o"), "--model", "/nope")
    assert code == 1
    assert err == message.format(p=path) + (
        "1 inputs: 0 done, 0 skipped, 1 failed; 0 sentences translated, "
        "0 from the cache, 0 repeated in the run\n"
        "Error: 1 of 1 inputs failed\n"
    )
    assert not (tmp_path / "o").exists()


def test_one_bad_input_does_not_stop_the_others(tiny_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    code, _, err = run(
        "translate",
        str(bad),
        str(KONTAN),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    assert code == 1
    assert err == (
        f"Error: {bad}: empty file, no text to translate\n"
        "2 inputs: 1 done, 0 skipped, 1 failed; 12 sentences translated, "
        "0 from the cache, 0 repeated in the run\n"
        "Error: 1 of 2 inputs failed\n"
    )
    assert (tmp_path / "o" / f"{KONTAN.stem}.tsv").exists()


def test_missing_model_folder_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("translate", str(KONTAN), "--out", str(tmp_path), "--model", "./nowhere")
    assert (code, err) == (1, "Error: model folder ./nowhere does not exist\n")


@pytest.mark.slow
def test_unreachable_hub_model_in_a_fresh_process(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run(
        [sys.executable, "-m", "sejajar", "translate", str(KONTAN), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: model Helsinki-NLP/opus-mt-id-en is unavailable: HF_HUB_OFFLINE is set"
    )
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = run("translate", str(KONTAN), "--beams", "0")
    assert code == 2 and "--beams" in err
    code, _, err = run("translate", str(KONTAN), "--format", "tsv,pdf")
    assert (code, err) == (
        2,
        "Error: --format: unknown format pdf; choose from tsv, html, beads, jsonl, tmx\n",
    )
    target = tmp_path / "file"
    target.write_text("x")
    code, _, err = run("translate", str(KONTAN), "--out", str(target))
    assert (code, err) == (1, f"Error: --out {target} is a file, not a folder\n")


def test_same_name_twice_is_refused(tmp_path: Path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.txt").write_text("Satu.")
    code, _, err = run(
        "translate",
        str(tmp_path / "a" / "x.txt"),
        str(tmp_path / "b" / "x.txt"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 1
    assert err == (
        f"Error: {tmp_path / 'a' / 'x.txt'} and {tmp_path / 'b' / 'x.txt'} would both "
        f"write {tmp_path / 'o' / 'x.tsv'}\n"
    )


def test_split_bad_input(tmp_path: Path) -> None:
    code, _, err = run("split", str(tmp_path))
    assert (code, err) == (1, f"Error: {tmp_path}: is a directory\n")


@pytest.mark.shared
def test_full_size_architecture_end_to_end(full_model: Path, tmp_path: Path) -> None:
    liputan = TEXTS / "liputan6-2016-10-20-us-south-korea.id.txt"
    code, _, err = run(
        "translate",
        str(liputan),
        "--out",
        str(tmp_path),
        "--model",
        str(full_model),
        "--beams",
        "1",
        "--batch-size",
        "16",
    )
    assert code == 0, err
    rows = parse_tsv((tmp_path / f"{liputan.stem}.tsv").read_text("utf-8"))
    assert len(rows) == 14 and all(t for _, t in rows)
    page = (tmp_path / f"{liputan.stem}.html").read_text("utf-8")
    assert page.count("length-cap") >= 14  # random weights: every output runs to its cap
