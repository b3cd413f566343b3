"""Issue 14: `evaluate` and `score-align` on hostile input give one clear error or a correct
result, never "a bug": JSON with bootstrap figures, empty files, digit strings as line numbers,
overlapping and duplicate beads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    ref, a, b = (tmp_path / n for n in ("ref.en", "a.en", "b.en"))
    ref.write_text("the cat sat on the mat\nhello world there\nit rains today in town\n")
    a.write_text("the cat sat on mat\nhello world\nit rains in town\n")
    b.write_text("a cat sat on the mat\nhello there world\nit rains today in the town\n")
    return ref, a, b


def test_two_systems_as_json_with_the_bootstrap(tmp_path: Path) -> None:
    ref, a, b = _files(tmp_path)
    code, out, err = run(
        "evaluate", "--ref", str(ref), "--hyp", str(a), "--hyp", str(b), "--json",
        "--bootstrap", "20",
    )  # fmt: skip
    assert (code, err) == (0, "")
    second = json.loads(out)["systems"][1]
    assert set(second["p_values"]) == {"BLEU", "chrF"}
    assert all(type(v) is float for v in (*second["means"].values(), *second["cis"].values()))


@pytest.mark.parametrize("systems", [1, 2])
def test_empty_reference_and_output(tmp_path: Path, systems: int) -> None:
    (tmp_path / "ref.en").write_text("")
    (tmp_path / "hyp.en").write_text("")
    hyps = ["--hyp", str(tmp_path / "hyp.en")] * systems
    assert run("evaluate", "--ref", str(tmp_path / "ref.en"), *hyps) == (
        1,
        "",
        "Error: the reference has no lines: nothing to score\n",
    )


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            '{"doc_id": "a", "line_numbers": "12"}',
            'line_numbers must be a list of integers, not "12"',
        ),
        ('{"doc_id": "a", "line_numbers": [1, "2"]}', "line_numbers must be a list of integers"),
        ('{"doc_id": "a", "line_numbers": [true]}', "line_numbers must be a list of integers"),
        ('{"doc_id": "a", "line_numbers": [1.5]}', "line_numbers must be a list of integers"),
        ('{"doc_id": null, "line_numbers": [1]}', "doc_id must be a string, not null"),
        ('[{"doc_id": "a"}]', "expected an object, found list"),
        ("[" * 100_000, "not a document record"),
    ],
    ids=["digits", "string-item", "bool", "float", "null-id", "list", "deep"],
)
def test_bad_document_records(tmp_path: Path, record: str, message: str) -> None:
    ref, a, _ = _files(tmp_path)
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"doc_id": "ok", "line_numbers": [1, 2]}\n' + record + "\n")
    code, out, err = run("evaluate", "--ref", str(ref), "--hyp", str(a), "--by-doc", str(docs))
    assert (code, out) == (1, "") and err.startswith(f"Error: {docs}: line 2: ")
    assert message in err and len(err.splitlines()) == 1


def test_integer_document_ids_still_read(tmp_path: Path) -> None:
    ref, a, _ = _files(tmp_path)
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"doc_id": 7, "line_numbers": [3]}\n')
    code, out, _ = run(
        "evaluate", "--ref", str(ref), "--hyp", str(a), "--by-doc", str(docs), "--json"
    )
    assert code == 0 and json.loads(out)["documents"][0]["doc_id"] == "7"


@pytest.mark.parametrize(
    ("beads", "message"),
    [
        ("[0]:[0]\n[0]:[1]\n", "line 2: source segment 0 is in line 1 too"),
        ("[0]:[0]\n[1]:[0]\n", "line 2: target segment 0 is in line 1 too"),
        ("[0]:[0]\n[1, 2]:[1]\n[2, 3]:[2]\n", "line 3: source segment 2 is in line 2 too"),
        ("[0]:[0]\n\n[0]:[0]\n", "line 3: source segment 0 is in line 1 too"),
        ("[1, 1]:[0]\n", "line 1: source segment 1 is twice in this bead"),
        ("[0]:[2, 2]\n", "line 1: target segment 2 is twice in this bead"),
    ],
)
def test_score_align_refuses_overlapping_and_duplicate_beads(
    tmp_path: Path, beads: str, message: str
) -> None:
    good = tmp_path / "gold.align.txt"
    good.write_text("[0]:[0]\n[1, 2]:[1]\n[3]:[2]\n")
    bad = tmp_path / "pred.align.txt"
    bad.write_text(beads)
    assert run("score-align", str(good), str(bad)) == (1, "", f"Error: {bad}: {message}\n")
    assert run("score-align", str(good), str(good))[0] == 0
