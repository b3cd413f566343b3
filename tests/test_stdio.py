"""``-`` for standard input and output (issue 27), through real pipes: ``split -``,
``translate -`` (its pairs as TSV or JSONL on standard output), ``evaluate --hyp -``,
``score-align GOLD -``, and the misuses of ``-``, each one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sejajar.align.export.tsv import parse_tsv
from tests.helpers import KONTAN, run
from tests.modelfactory import ROOT


def sejajar(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """``sejajar ARGS`` in a new process, ``stdin`` piped to it (the environment is the
    test's: its private cache, calibration off)."""
    return subprocess.run(
        [sys.executable, "-m", "sejajar", *args], input=stdin, capture_output=True, cwd=ROOT
    )


def test_split_reads_standard_input() -> None:
    piped = sejajar("split", "-", "--kinds", stdin=KONTAN.read_bytes())
    assert (piped.returncode, piped.stderr) == (0, b"")
    assert piped.stdout.decode() == run("split", str(KONTAN), "--kinds")[1]
    assert piped.stdout.decode().startswith("byline\tSumber: Reuters | Editor: ")


def test_split_empty_standard_input() -> None:
    piped = sejajar("split", "-", stdin=b"")
    assert (piped.returncode, piped.stdout) == (1, b"")
    assert piped.stderr == b"Error: stdin: empty file, no text to translate\n"


@pytest.mark.slow
@pytest.mark.parametrize("format", ["tsv", "jsonl"])
def test_translate_standard_input_to_standard_output(
    tiny_model: Path, tmp_path: Path, format: str
) -> None:
    """The pairs come out on standard output, as the file ``translate`` writes for the same
    article holds them; nothing is written to the folder."""
    model = ["--model", str(tiny_model), "--beams", "1", "--workers", "1"]
    piped = sejajar("translate", "-", "--format", format, *model, stdin=KONTAN.read_bytes())
    assert piped.returncode == 0, piped.stderr
    code, _, err = run("translate", str(KONTAN), "--out", str(tmp_path), "--format", format, *model)
    assert code == 0, err
    written = (tmp_path / f"{KONTAN.stem}.{format}").read_bytes()
    assert piped.stdout == written
    if format == "tsv":
        assert len(parse_tsv(piped.stdout.decode())) > 10
    else:
        assert json.loads(piped.stdout.splitlines()[0])["kind"] == "byline"


def test_evaluate_reads_the_system_output_from_standard_input(tmp_path: Path) -> None:
    ref, hyp = tmp_path / "ref.en", tmp_path / "hyp.en"
    ref.write_text("the cat sat on the mat\nit rains today in town\n")
    hyp.write_text("the cat sat on mat\nit rains in town\n")
    piped = sejajar("evaluate", "--ref", str(ref), "--hyp", "-", "--json", stdin=hyp.read_bytes())
    assert (piped.returncode, piped.stderr) == (0, b"")
    from_file = json.loads(run("evaluate", "--ref", str(ref), "--hyp", str(hyp), "--json")[1])
    from_pipe = json.loads(piped.stdout)
    assert from_pipe["systems"][0]["name"] == "stdin"
    assert from_pipe["systems"][0]["scores"] == from_file["systems"][0]["scores"]


def test_score_align_reads_the_prediction_from_standard_input(tmp_path: Path) -> None:
    gold = tmp_path / "gold.align.txt"
    gold.write_text("[0]:[0]\n[1, 2]:[1]\n[3]:[2]\n")
    piped = sejajar("score-align", str(gold), "-", stdin=b"[0]:[0]\n[1]:[1]\n[2]:[]\n[3]:[2]\n")
    assert (piped.returncode, piped.stderr) == (0, b"")
    assert piped.stdout.decode().startswith("strict  precision 0.500  recall 0.667")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["translate", "-", "x.txt"], "- (standard input) goes alone, without other inputs"),
        (
            ["translate", "-", "--out", "out"],
            "from -, the output goes to standard output: no --out, --force, --skip-existing",
        ),
        (
            ["translate", "-", "--format", "tsv,jsonl"],
            "--format: from -, one format only (tsv or jsonl)",
        ),
        (
            ["translate", "-", "--format", "html"],
            "--format: unknown format html; choose from tsv, jsonl",
        ),
        (
            ["evaluate", "--ref", "-", "--hyp", "-"],
            "- (standard input) can stand for one file only",
        ),
        (["score-align", "-", "-"], "- (standard input) can stand for one file only"),
        (["align", "-", "-"], "- (standard input) can stand for one file only"),
    ],
)
def test_misused_dash(args: list[str], message: str) -> None:
    assert run(*args) == (2, "", f"Error: {message}\n")
