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
        # Issue 25: item 22, 15, 20.
        ('{"doc_id": "a", "line_numbers": []}', "document a has no line numbers (line_numbers "
         "is empty)"),
        ('{"doc_id": "a\\ud800", "line_numbers": [1]}', "doc_id holds a lone surrogate U+D800"),
        ('{"doc_id": "a", oops}', "not a document record (column 17: Expecting property name "
         "enclosed in double quotes)"),
    ],
    ids=["digits", "string-item", "bool", "float", "null-id", "list", "deep", "empty",
         "surrogate", "json-column"],
)  # fmt: skip
def test_bad_document_records(tmp_path: Path, record: str, message: str) -> None:
    ref, a, _ = _files(tmp_path)
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"doc_id": "ok", "line_numbers": [1, 2]}\n' + record + "\n")
    code, out, err = run("evaluate", "--ref", str(ref), "--hyp", str(a), "--by-doc", str(docs))
    assert (code, out) == (1, "") and err.startswith(f"Error: {docs}: line 2: ")
    assert message in err and len(err.splitlines()) == 1
    assert "line 1" not in err  # the JSON decoder's own line, always 1 on one JSONL line


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


def test_score_align_scores_a_gold_file_with_a_segment_in_two_beads(tmp_path: Path) -> None:
    """As Text+Berg de-fr's gold file does (Vecalign and Bertalign publish their scores on it):
    scored bead by bead, as Vecalign's scorer does, with a warning naming the line. Expected
    figures worked by hand with Vecalign's ``score.py``."""
    gold = tmp_path / "gold.align.txt"
    gold.write_text("[0]:[0]\n[1]:[1]\n[1, 2]:[2]\n[3]:[3]\n")
    predicted = tmp_path / "pred.align.txt"
    predicted.write_text("[0]:[0]\n[1]:[1]\n[2]:[2]\n[3]:[3]\n")
    code, out, err = run("score-align", str(gold), str(predicted), "--json")
    assert (code, err) == (
        0,
        f"Warning: {gold}: line 3: source segment 1 is in line 2 too; scored bead by bead, as"
        " Vecalign's scorer does\n",
    )
    figures = json.loads(out)
    assert {k: round(v, 3) for k, v in figures.items()} == {
        "strict_precision": 0.75,
        "strict_recall": 0.75,
        "strict_f1": 0.75,
        "lax_precision": 1.0,
        "lax_recall": 1.0,
        "lax_f1": 1.0,
        "link_precision": 1.0,
        "link_recall": 0.8,
        "link_f1": 0.889,
    }
    # The same overlap in a prediction is refused: an aligner must not make it.
    assert run("score-align", str(predicted), str(gold)) == (
        1,
        "",
        f"Error: {gold}: line 3: source segment 1 is in line 2 too\n",
    )


def test_a_bead_written_twice_in_the_gold_file_counts_once(tmp_path: Path) -> None:
    """Vecalign's scorer takes the beads as a set."""
    once, twice = tmp_path / "once.align.txt", tmp_path / "twice.align.txt"
    once.write_text("[0]:[0]\n[1]:[1]\n[2]:[2]\n")
    twice.write_text("[0]:[0]\n[1]:[1]\n[1]:[1]\n[2]:[2]\n")
    predicted = tmp_path / "pred.align.txt"
    predicted.write_text("[0]:[0]\n[1]:[2]\n[2]:[1]\n")
    code, out, err = run("score-align", str(twice), str(predicted), "--json")
    assert code == 0 and err.count("Warning: ") == 2 and "line 3: target segment 1" in err
    assert json.loads(out) == json.loads(run("score-align", str(once), str(predicted), "--json")[1])


def test_empty_beads_and_target_files_say_empty(tmp_path: Path) -> None:
    """Issue 25, item 16: an empty bead or English file said "no text to translate"."""
    empty, gold = tmp_path / "empty.beads", tmp_path / "gold.beads"
    empty.write_text("")
    gold.write_text("[0]:[0]\n")
    for args in ((empty, gold), (gold, empty)):
        code, out, err = run("score-align", *map(str, args))
        assert (code, out, err) == (1, "", f"Error: {empty}: empty file, no beads\n")
    article, english = tmp_path / "a.txt", tmp_path / "a.en"
    article.write_text("Harga naik.\n")
    english.write_text("\n \n")
    code, out, err = run(
        "align", str(article), str(english), "--no-bridge", "--out", str(tmp_path / "o")
    )
    assert (code, out) == (1, "")
    assert err == f"Error: {english}: empty file, no English text to align with\n"
