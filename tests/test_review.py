"""sejajar apply-review without a browser: both export formats and every error path."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sejajar.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["apply-review", *args])
    return result.exit_code, result.stdout, result.stderr


DOCUMENT = "ab" * 32


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    """Rows as the page exports them: the fields a row leaves out take the page's values."""
    full = []
    for number, row in enumerate(rows):
        record: dict[str, object] = {
            "id": number,
            "links": len(rows),
            "document": DOCUMENT,
            "signature": "sejajar:0.1.0",
            "edited": False,
            **row,
        }
        record.setdefault("original_target", "edited" if record["edited"] else record["target"])
        full.append(record)
    path.write_text("".join(json.dumps(r) + "\n" for r in full), "utf-8")
    return path


def test_accepted_pairs_only_with_edits(tmp_path: Path) -> None:
    review = _jsonl(
        tmp_path / "a.review.jsonl",
        [
            {
                "decision": "accepted",
                "source": "Harga naik.",
                "target": "Prices rose.",
                "signature": "sejajar:0.1.0",
            },
            {"decision": "rejected", "source": "Ia pergi.", "target": "He went went."},
            {
                "decision": "accepted",
                "source": "Tiba\tdi sini.",
                "target": "Arrived\nhere.",
                "edited": True,
            },
            {"decision": "pending", "source": "Lagi.", "target": "Again."},
        ],
    )
    code, out, _ = run(str(review), "--out", str(tmp_path / "o"))
    assert code == 0
    assert out == (
        f"4 pairs: 2 accepted (1 edited), 1 rejected, 1 pending -> "
        f"{tmp_path / 'o' / 'a.accepted.tsv'}, {tmp_path / 'o' / 'a.accepted.tmx'}\n"
    )
    assert (
        tmp_path / "o" / "a.accepted.tsv"
    ).read_text() == "Harga naik.\tPrices rose.\nTiba di sini.\tArrived here.\n"
    tmx = (tmp_path / "o" / "a.accepted.tmx").read_text()
    assert (
        '<prop type="x-sejajar-signature">sejajar:0.1.0</prop>' in tmx and 'x-review">edited' in tmx
    )


def test_tsv_review(tmp_path: Path) -> None:
    review = tmp_path / "b.review.tsv"
    review.write_text(
        f"# sejajar review\t{DOCUMENT}\tsejajar:0.1.0\t2\t2\n"
        f"accepted\tSatu.\tOne.\t0\t{DOCUMENT[:12]}\nrejected\tDua.\tTwo.\t1\t{DOCUMENT[:12]}\n"
    )
    code, _, _ = run(str(review), "--out", str(tmp_path), "--format", "tsv")
    assert code == 0 and (tmp_path / "b.accepted.tsv").read_text() == "Satu.\tOne.\n"
    assert not (tmp_path / "b.accepted.tmx").exists()


def test_errors(tmp_path: Path) -> None:
    bad = tmp_path / "c.review.tsv"
    header = f"# sejajar review\t{DOCUMENT}\tsig\t2\t2\n"
    page = DOCUMENT[:12]
    bad.write_text(header + f"accepted\tSatu.\tOne.\t0\t{page}\nmaybe\tDua.\tTwo.\t1\t{page}\n")
    assert run(str(bad), "--out", str(tmp_path)) == (
        1,
        "",
        f"Error: {bad}: line 3: decision must be one of accepted, rejected, pending, not 'maybe'\n",
    )
    bad.write_text(header + "accepted\tSatu.\n")
    assert run(str(bad), "--out", str(tmp_path))[2] == (
        f"Error: {bad}: line 2: expected decision, source, target, id and page, found 2 columns\n"
    )
    broken = tmp_path / "d.review.jsonl"
    broken.write_text('{"decision": "accepted"}\n')
    assert (
        run(str(broken), "--out", str(tmp_path))[2]
        == f"Error: {broken}: line 1: missing field 'source'\n"
    )
    assert (
        run(str(tmp_path / "none.jsonl"))[2] == f"Error: {tmp_path / 'none.jsonl'}: no such file\n"
    )
    assert run(str(broken), "--format", "pdf")[:2] == (2, "")
    good = _jsonl(
        tmp_path / "e.review.jsonl", [{"decision": "accepted", "source": "A.", "target": "B."}]
    )
    (tmp_path / "e.accepted.tsv").write_text("keep")
    assert run(str(good), "--out", str(tmp_path)) == (
        1,
        "",
        f"Error: {tmp_path / 'e.accepted.tsv'} exists; use --force to overwrite\n",
    )
    assert (tmp_path / "e.accepted.tsv").read_text() == "keep"
    assert run(str(good), "--out", str(tmp_path), "--force")[0] == 0
