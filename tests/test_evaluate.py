"""sejajar evaluate: published figures, significance, per-document scores, translate-then-score."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.core.files import read_lines
from sejajar.translate.quality import evaluate, translate_lines
from tests.helpers import SHARED_DATA, FakeTranslator, require_shared

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def shared_data() -> Path:
    require_shared("../shared/data", SHARED_DATA)
    return SHARED_DATA


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "bleu", "chrf"), [("tico19", 34.62, 63.09), ("tatoeba", 47.36, 64.76)]
)
def test_recorded_outputs_score_as_published(
    shared_data: Path, name: str, bleu: float, chrf: float
) -> None:
    folder = shared_data / name
    code, out, err = run(
        "--hyp",
        str(folder / f"{name}-test.opus-mt-id-en.en"),
        "--ref",
        str(folder / f"{name}-test.en"),
        "--json",
    )
    assert code == 0, err
    (system,) = json.loads(out)["systems"]
    assert (round(system["scores"]["BLEU"], 2), round(system["scores"]["chrF"], 2)) == (bleu, chrf)


@pytest.mark.shared
def test_tico19_by_document_worst_first(shared_data: Path) -> None:
    folder = shared_data / "tico19"
    code, out, _ = run(
        "--hyp",
        str(folder / "tico19-test.opus-mt-id-en.en"),
        "--ref",
        str(folder / "tico19-test.en"),
        "--by-doc",
        str(folder / "tico19-test.docs.jsonl"),
        "--json",
    )
    assert code == 0
    docs = json.loads(out)["documents"]
    assert len(docs) == 19 and sum(d["lines"] for d in docs) == 2100
    bleus = [d["scores"][0]["BLEU"] for d in docs]
    assert bleus == sorted(bleus)
    assert docs[0]["doc_id"] == "CMU_1" and round(bleus[0], 2) == 26.41


@pytest.mark.shared
def test_a_degraded_system_is_significantly_worse(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "tico19"
    hyps = read_lines(folder / "tico19-test.opus-mt-id-en.en")
    worse = tmp_path / "worse.en"
    # Every other line loses its second half: a clear, real loss.
    worse.write_text(
        "\n".join(
            " ".join(h.split()[: len(h.split()) // 2]) if i % 2 else h for i, h in enumerate(hyps)
        )
        + "\n",
        "utf-8",
    )
    code, out, _ = run(
        "--hyp",
        str(folder / "tico19-test.opus-mt-id-en.en"),
        "--hyp",
        str(worse),
        "--ref",
        str(folder / "tico19-test.en"),
        "--bootstrap",
        "200",
    )
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("#2"))
    assert row.count("*") == 2  # BLEU and chrF both significant
    assert "BLEU signature: nrefs:1|bs:200|seed:12345|" in out


def test_identical_systems_are_not_significantly_different() -> None:
    refs = ["the cat sat on the mat", "a dog barked loudly", "it rained all day"] * 10
    hyps = ["the cat sat on a mat", "a dog barked", "it rained all the day"] * 10
    result = evaluate([("a", hyps), ("b", hyps)], refs, bootstrap=100)
    assert result.systems[1].scores == result.systems[0].scores
    assert result.systems[1].p_values == {"BLEU": 1.0, "chrF": 1.0}


def test_line_count_mismatch(tmp_path: Path) -> None:
    (tmp_path / "ref.en").write_text("a\nb\nc\n")
    (tmp_path / "hyp.en").write_text("a\nb\n")
    code, _, err = run("--hyp", str(tmp_path / "hyp.en"), "--ref", str(tmp_path / "ref.en"))
    assert (code, err) == (1, f"Error: {tmp_path / 'hyp.en'} has 2 lines but the reference has 3\n")


def test_only_newline_ends_a_line(tmp_path: Path) -> None:
    path = tmp_path / "odd.en"
    path.write_bytes("one\u2028still one\x1cstill\r\ntwo\nthree".encode())
    assert read_lines(path) == ["one\u2028still one\x1cstill", "two", "three"]


def test_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "ref.en").write_text("a\n")
    code, _, err = run("--ref", str(tmp_path / "ref.en"))
    assert (code, err) == (
        2,
        "Error: give --hyp FILE (an existing output) or --src FILE (translate it first)\n",
    )
    code, _, err = run(
        "--ref", str(tmp_path / "ref.en"), "--hyp", str(tmp_path / "ref.en"), "--resplit"
    )
    assert (code, err) == (2, "Error: --resplit goes with --src\n")
    code, _, err = run("--ref", str(tmp_path / "missing.en"), "--hyp", str(tmp_path / "ref.en"))
    assert (code, err) == (1, f"Error: {tmp_path / 'missing.en'}: no such file\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"doc_id": "a", "line_numbers": [1, 5]}',
            "line 1: document a names line 5, outside 1..2",
        ),
        ("not json", "line 1: not a document record"),
    ],
)
def test_bad_documents_file(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "ref.en").write_text("a b\nc d\n")
    (tmp_path / "docs.jsonl").write_text(content + "\n")
    code, _, err = run(
        "--hyp",
        str(tmp_path / "ref.en"),
        "--ref",
        str(tmp_path / "ref.en"),
        "--by-doc",
        str(tmp_path / "docs.jsonl"),
    )
    assert code == 1 and err.startswith(f"Error: {tmp_path / 'docs.jsonl'}: {message}")


def test_translate_lines_progress_counts_what_it_translates() -> None:
    """With --resplit the bar counts sentences, not lines; blank lines count for nothing."""
    totals: list[int] = []
    steps: list[int] = []

    def start(total: int) -> Callable[[int], None]:
        totals.append(total)
        return steps.append

    lines = ["Harga naik. Presiden tiba.", "", "Korea Selatan"]
    translate_lines(lines, FakeTranslator(), resplit=True, progress=start)
    assert totals == [3] and sum(steps) == 3
    totals.clear()
    steps.clear()
    translate_lines(lines, FakeTranslator(), progress=start)
    assert totals == [2] and sum(steps) == 2


def test_translate_lines_keeps_one_output_per_line() -> None:
    fake = FakeTranslator()
    lines = ["Harga naik. Presiden tiba.", "", "Korea Selatan"]
    assert translate_lines(lines, fake) == ["price naik. president tiba.", "", "korea south"]
    assert sorted(p for b in fake.batches for p in b) == [
        "Harga naik. Presiden tiba.",
        "Korea Selatan",
    ]
    fake = FakeTranslator()
    assert translate_lines(lines, fake, resplit=True) == [
        "price naik. president tiba.",
        "",
        "korea south",
    ]
    assert sorted(p for b in fake.batches for p in b) == [
        "Harga naik.",
        "Korea Selatan",
        "Presiden tiba.",
    ]


def test_translate_then_score_with_a_local_model(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "src.id").write_text("Harga naik.\nKorea Selatan setuju.\n")
    (tmp_path / "ref.en").write_text("Prices rise.\nSouth Korea agrees.\n")
    code, out, err = run(
        "--src",
        str(tmp_path / "src.id"),
        "--ref",
        str(tmp_path / "ref.en"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["systems"][0]["name"] == f"sejajar:{tiny_model}"
    assert f"model:{tiny_model}|rev:sha256:" in result["run_signature"]
    assert "resplit:no" in result["run_signature"]
    assert 0 <= result["systems"][0]["scores"]["BLEU"] < 5  # random weights


def test_source_and_reference_lengths_must_match(tmp_path: Path) -> None:
    (tmp_path / "src.id").write_text("a\n")
    (tmp_path / "ref.en").write_text("a\nb\n")
    code, _, err = run(
        "--src", str(tmp_path / "src.id"), "--ref", str(tmp_path / "ref.en"), "--model", "/nope"
    )
    assert (code, err) == (1, f"Error: {tmp_path / 'src.id'} has 1 lines but the reference has 2\n")
