"""Issue 14: apply-review refuses what the page could not have written, with one line naming
the line and the field: other pages' or runs' decisions, wrong types, duplicate and
out-of-range ids, control characters, lone surrogates, deep nesting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.align.export.html import document_digest, render_html, storage_key
from sejajar.align.review import ReviewError, parse_review
from sejajar.cli import app
from sejajar.core.records import Kind, Link, ParallelDocument, Segment

DOC = "ab" * 32
OTHER = "cd" * 32


def _record(number: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": number,
        "source": f"Kalimat {number}.",
        "target": f"Sentence {number}.",
        "decision": "accepted",
        "edited": False,
        "original_target": f"Sentence {number}.",
        "signature": "sejajar:0.1.0|model:m",
        "document": DOC,
        "links": 5,
    }
    record.update(changes)
    return record


def _lines(*records: dict[str, Any] | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def _without(field: str) -> dict[str, Any]:
    record = _record(1)
    del record[field]
    return record


CASES: list[tuple[str, str, str]] = [
    ("other-document", _lines(_record(0), _record(1, document=OTHER)),
     "line 2: document differs from line 1's: a review of another page"),
    ("other-signature", _lines(_record(0), _record(1, signature="sejajar:0.1.0|model:x")),
     "line 2: signature differs from line 1's: a review of another run"),
    ("target-null", _lines(_record(0, target=None)), "line 1: target must be a string, not null"),
    ("source-number", _lines(_record(0, source=5)), "line 1: source must be a string, not 5"),
    ("edited-string", _lines(_record(0, edited="false")),
     'line 1: edited must be true or false, not "false"'),
    ("edited-but-same-flag", _lines(_record(0, target="Changed.")),
     "line 1: target differs from original_target but edited is false"),
    ("edited-rejected", _lines(_record(0, decision="rejected", edited=True, target="X.")),
     "line 1: edited is true but the pair is rejected"),
    ("duplicate-id", _lines(_record(0), "", _record(0)), "line 3: id 0 is on line 1 too"),
    ("id-out-of-range", _lines(_record(5)), "line 1: id 5 is out of range: the page has 5 links"),
    ("id-negative", _lines(_record(-1)), "line 1: id must be a whole number >= 0, not -1"),
    ("id-bool", _lines(_record(True)), "line 1: id must be a whole number >= 0, not true"),
    ("id-string", _lines(_record("1")), 'line 1: id must be a whole number >= 0, not "1"'),
    ("links-differ", _lines(_record(0), _record(1, links=9)),
     "line 2: links is 9, the first line says 5"),
    ("nul", _lines(_record(0, target="a\x00b", edited=True)),
     "line 1: target holds the control character U+0000"),
    ("escape", _lines(_record(0, source="a\x1b[31mb")),
     "line 1: source holds the control character U+001B"),
    ("c1", _lines(_record(0, source="a\x85b")), "line 1: source holds the control character U+0085"),
    ("lone-surrogate", _lines(_record(0, source="a\ud800")),
     "line 1: source holds a lone surrogate U+D800"),
    ("deep", "[" * 100_000 + "\n", "line 1: nested too deeply to be a review line"),
    ("not-object", _lines("[1, 2]"), "line 1: expected a JSON object, found list"),
    ("not-json", _lines(_record(0), "{oops"), "line 2: column 2: Expecting property name"),
    ("nan", _lines('{"score": NaN}'), "line 1: NaN is not a JSON number"),
    ("duplicate-field", _lines('{"target": "a", "target": "b"}'),
     "line 1: field 'target' appears twice"),
    ("missing-document", _lines(_without("document")), "line 1: missing field 'document'"),
    ("missing-edited", _lines(_without("edited")), "line 1: missing field 'edited'"),
    ("bad-document", _lines(_record(0, document="x")),
     "line 1: document must be a sejajar page's digest (64 hex digits), not 'x'"),
    ("decision", _lines(_record(0, decision="yes")),
     "line 1: decision must be one of accepted, rejected, pending, not 'yes'"),
    ("empty-accepted", _lines(_record(0, target=" ", edited=True)),
     "line 1: target is empty in an accepted pair: reject it or edit it on the page"),
    ("no-lines", "\n\n", "not a review exported by a sejajar page (no document digest)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_jsonl_reviews_are_checked(text: str, message: str) -> None:
    with pytest.raises(ReviewError) as error:
        parse_review(text, jsonl=True)
    assert str(error.value).startswith(message)


def _tsv(pairs: int, *lines: str, links: int = 5) -> str:
    """A TSV review: the header announcing ``pairs`` lines, then ``lines``."""
    return f"# sejajar review\t{DOC}\tsejajar:0.1.0\t{links}\t{pairs}\n" + "".join(
        line + "\n" for line in lines
    )


def _pair(number: int, decision: str = "accepted", page: str = DOC) -> str:
    return f"{decision}\tKalimat {number}.\tSentence {number}.\t{number}\t{page[:12]}"


HEADER = f"# sejajar review\t{DOC}\tsejajar:0.1.0\t5\t1\n"
TSV_CASES: list[tuple[str, str, str]] = [
    ("no-header", "accepted\tSatu.\tOne.\n", "line 1: expected the header '# sejajar review'"),
    ("bad-digest", "# sejajar review\tx\tsig\t5\t1\n",
     "line 1: document must be a sejajar page's"),
    ("older-page", f"# sejajar review\t{DOC}\tsig\naccepted\tSatu.\tOne.\n",
     "line 1: a TSV review without pair ids (exported by an older page): export JSONL"),
    ("control", HEADER + "accepted\tSa\x07tu.\tOne.\t0\tabababababab\n",
     "line 2: source holds the control character U+0007"),
    ("columns", HEADER + "accepted\tSatu.\n",
     "line 2: expected decision, source, target, id and page, found 2 columns"),
    ("empty-source", HEADER + "accepted\t\tOne.\t0\tabababababab\n",
     "line 2: source is empty in an accepted pair"),
    # Issue 25, items 8-11: what the TSV checks used to let through.
    ("truncated-lines", _tsv(3, _pair(0), _pair(1)),
     "line 4: the header announces 3 pairs, the file holds 2: it is cut short"),
    ("truncated-mid-line", _tsv(2, _pair(0), _pair(1))[:-5],
     "line 3: the last line has no line end: the file is cut short"),
    ("duplicated", _tsv(3, _pair(0), _pair(1), _pair(1)), "line 4: id 1 is on line 3 too"),
    ("another-page", _tsv(2, _pair(0), _pair(1, page=OTHER)),
     "line 3: page cdcdcdcdcdcd is not the header's abababababab: a line of another page"),
    ("out-of-range", _tsv(1, _pair(5)), "line 2: id 5 is out of range: the page has 5 links"),
    ("id-text", _tsv(1, "accepted\tA.\tB.\tx\tabababababab"),
     "line 2: id must be a whole number >= 0, not \"x\""),
    ("too-many", _tsv(1, _pair(0), _pair(1)),
     "line 3: the header announces 1 pairs, the file holds more"),
    ("raw-cr", _tsv(1, _pair(0).replace("Kalimat", "Kali\rmat")),
     "line 2: source holds the control character U+000D"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [c[1:] for c in TSV_CASES], ids=[c[0] for c in TSV_CASES]
)
def test_tsv_reviews_are_checked(text: str, message: str) -> None:
    with pytest.raises(ReviewError) as error:
        parse_review(text, jsonl=False)
    assert str(error.value).startswith(message)


def test_a_valid_review_reads() -> None:
    text = _lines(
        _record(0),
        _record(2, decision="rejected"),
        _record(3, target="Better.\tNow", edited=True),
        _record(4, decision="pending"),
    )
    decisions = parse_review(text, jsonl=True)
    assert [(d.decision, d.edited, d.document) for d in decisions] == [
        ("accepted", False, DOC),
        ("rejected", False, DOC),
        ("accepted", True, DOC),
        ("pending", False, DOC),
    ]
    text = _tsv(2, _pair(0), f"pending\tDua.\t\t3\t{DOC[:12]}").replace("\n", "\r\n")
    tsv = parse_review(text, jsonl=False)
    assert [(d.decision, d.signature, d.document) for d in tsv] == [
        ("accepted", "sejajar:0.1.0", DOC),
        ("pending", "sejajar:0.1.0", DOC),
    ]


def test_the_file_is_checked_as_written(tmp_path: Path) -> None:
    """A raw control character, CR or NUL in a review file used to become a space (and a CR
    a line end) before the checks saw it; an empty review was "no text to translate"."""
    review = tmp_path / "a.review.tsv"
    for raw, code in (("\x0c", "000C"), ("\r", "000D"), ("\x85", "0085")):
        review.write_text(_tsv(1, _pair(0).replace("Kalimat", f"Kali{raw}mat")), "utf-8")
        result = CliRunner().invoke(app, ["apply-review", str(review), "--out", str(tmp_path)])
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"Error: {review}: line 2: source holds the control character U+{code}\n"
        )
    review.write_text("")
    result = CliRunner().invoke(app, ["apply-review", str(review), "--out", str(tmp_path)])
    assert result.stderr == f"Error: {review}: empty file, no decisions to apply\n"
    assert list(tmp_path.iterdir()) == [review]


def test_the_command_prints_one_line_and_writes_nothing(tmp_path: Path) -> None:
    review = tmp_path / "a.review.jsonl"
    review.write_text(_lines(_record(0, target=None)), "utf-8")
    result = CliRunner().invoke(app, ["apply-review", str(review), "--out", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {review}: line 1: target must be a string, not null\n"
    assert not (tmp_path / "a.accepted.tsv").exists()


def _doc(targets: list[str]) -> ParallelDocument:
    source = tuple(Segment(t, Kind.SENTENCE, 0) for t in ("Satu.", "Dua."))
    target = tuple(Segment(t, Kind.SENTENCE, 0) for t in targets)
    links = (Link((0,), (0,), 0.9), Link((1,), (1,), 0.8))
    return ParallelDocument("kontan", source, target, links, (("aligner", "no-bridge"),))


def test_the_page_identity_covers_the_target_side() -> None:
    # One source aligned (without a bridge) to two English texts: different pages, different
    # storage, and the identity travels in the page's data for the export.
    first, second = _doc(["One.", "Two."]), _doc(["One.", "Three."])
    assert document_digest(first) != document_digest(second)
    assert storage_key(document_digest(first)) != storage_key(document_digest(second))
    page = render_html(first)
    assert f'data-storage-key="{storage_key(document_digest(first))}"' in page
    assert f'"document":"{document_digest(first)}","links":2' in page
    # Kinds and links count too, not only text.
    regrouped = ParallelDocument(
        "kontan", first.source, first.target, (Link((0, 1), (0, 1), 0.5),), first.signature
    )
    assert document_digest(regrouped) != document_digest(first)
