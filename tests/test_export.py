"""Exporters: golden files byte for byte, TSV round trip, escaping of hostile text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sejajar.align.export.html import render_html
from sejajar.align.export.jsonl import render_jsonl, render_meta
from sejajar.align.export.tmx import render_tmx
from sejajar.align.export.tsv import clean_cell, parse_tsv, render_tsv
from sejajar.align.pipeline import translate_document
from sejajar.core.records import Flag, Kind, Link, ParallelDocument, Segment, render_signature
from sejajar.translate.split import split_document
from tests.helpers import FakeTranslator

GOLDEN = Path(__file__).parent / "golden"
ARTICLE = (
    "Sumber: Reuters | Editor: Budi\n"
    "KONTAN.CO.ID - WASHINGTON. Amerika Serikat dan Korea Selatan sepakat. Harga naik.\n"
    "Baca Juga: Harga Turun Lagi\n"
    "Korea Utara\n"
    '"Kami siap\tmenghadapi <script>alert(1)</script> serangan," kata presiden.\n'
)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; SEJAJAR_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("SEJAJAR_UPDATE_GOLDEN") == "1":
        path.write_text(text, "utf-8", newline="\n")
    assert text == path.read_text("utf-8")


@pytest.fixture
def translated(fake: FakeTranslator) -> ParallelDocument:
    return translate_document(split_document("article", ARTICLE), fake)


def test_tsv_golden(translated: ParallelDocument) -> None:
    check_golden("article.tsv", render_tsv(translated))


def test_html_golden(translated: ParallelDocument) -> None:
    check_golden("article.html", render_html(translated))


def test_jsonl_and_meta_golden(translated: ParallelDocument) -> None:
    check_golden("article.jsonl", render_jsonl(translated))
    check_golden("article.meta.json", render_meta(translated))
    records = [json.loads(line) for line in render_jsonl(translated).splitlines()]
    assert [r["id"] for r in records] == list(range(len(translated.links)))
    assert records[0]["kind"] == "byline" and records[0]["target"] == ""
    assert json.loads(render_meta(translated))["settings"]["model"] == "fake-glossary"


def test_tmx_golden_and_valid(translated: ParallelDocument) -> None:
    text = render_tmx(translated)
    check_golden("article.tmx", text)
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    assert header is not None and header.get("srclang") == "id"
    assert header.get("creationtool") == "sejajar"
    units = root.findall("body/tu")
    assert len(units) == 4  # the pairs; set-aside segments have no unit
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    segs = [(tuv.get(lang), tuv.findtext("seg")) for tuv in units[3].findall("tuv")]
    assert segs[0] == (
        "id",
        '"Kami siap menghadapi <script>alert(1)</script> serangan," kata presiden.',
    )
    assert [p.get("type") for p in units[0].findall("prop")] == ["x-flag", "x-kind"]


def test_tsv_rows_are_the_translated_segments_in_order(translated: ParallelDocument) -> None:
    rows = parse_tsv(render_tsv(translated))
    assert [s for s, _ in rows] == [
        "KONTAN.CO.ID - WASHINGTON. Amerika Serikat dan Korea Selatan sepakat.",
        "Harga naik.",
        "Korea Utara",
        '"Kami siap menghadapi <script>alert(1)</script> serangan," kata presiden.',
    ]
    assert rows[1] == ("Harga naik.", "price naik.")


def test_keep_boilerplate_translates_and_exports_it(fake: FakeTranslator) -> None:
    doc = translate_document(split_document("a", ARTICLE), fake, keep_boilerplate=True)
    sources = [s for s, _ in parse_tsv(render_tsv(doc))]
    assert sources[0] == "Sumber: Reuters | Editor: Budi"
    assert "Baca Juga: Harga Turun Lagi" in sources


def test_html_escapes_hostile_text(translated: ParallelDocument) -> None:
    page = render_html(translated)
    # Only the page's own three scripts: the data block, the store and the workbench.
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the table
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # in the data
    assert "default-src 'none'" in page and "'unsafe-inline'" not in page
    assert "onerror" not in page and "onclick" not in page


def test_html_marks_kinds_flags_and_scores() -> None:
    seg = Segment("Satu.", Kind.SENTENCE, 0, 0, 5)
    doc = ParallelDocument(
        "x",
        (seg, Segment("Dua.", Kind.SENTENCE, 0, 6, 10)),
        (Segment("One. Two.", Kind.SENTENCE, 0),),
        (
            Link(
                (0, 1),
                (0,),
                0.31,
                (Flag("length-cap", 'hit the "cap" <now>'), Flag("low-confidence", "0.31")),
            ),
        ),
        (("sejajar", "0"),),
    )
    page = render_html(doc)
    assert '<tr class="flagged kind-sentence length-cap low-confidence pair" data-id="0"' in page
    assert 'title="hit the &quot;cap&quot; &lt;now&gt;"' in page
    assert '<span class="score">0.31</span>' in page


_CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.lists(st.tuples(_CELL, _CELL), max_size=10))
def test_tsv_round_trips_any_text(pairs: list[tuple[str, str]]) -> None:
    kept = [(s, t) for s, t in pairs if clean_cell(s) and clean_cell(t)]
    source = tuple(Segment(s, Kind.SENTENCE, i) for i, (s, _) in enumerate(kept))
    target = tuple(Segment(t, Kind.SENTENCE, i) for i, (_, t) in enumerate(kept))
    links = tuple(Link((i,), (i,)) for i in range(len(kept)))
    doc = ParallelDocument("x", source, target, links, ())
    assert parse_tsv(render_tsv(doc)) == [(clean_cell(s), clean_cell(t)) for s, t in kept]


def test_parse_tsv_rejects_bad_lines() -> None:
    with pytest.raises(ValueError, match=r"^line 2: expected 2 tab-separated columns, found 3$"):
        parse_tsv("a\tb\na\tb\tc\n")


def test_term_flags_golden(fake: FakeTranslator, translated: ParallelDocument) -> None:
    """With a glossary, the page and the JSONL differ from the plain ones only by the term
    flags (the page's badge shows the terms) and the signature's glossary digest."""
    from sejajar.translate.glossary import Glossary, GlossaryTranslator, Term

    terms = [Term("Korea Selatan", "South Korea"), Term("Korea Utara", "North Korea"),
             Term("Amerika Serikat", "america united")]  # fmt: skip
    engine = GlossaryTranslator(fake, Glossary(terms))
    doc = translate_document(split_document("article", ARTICLE), engine)
    check_golden("article-term.html", render_html(doc))
    check_golden("article-term.jsonl", render_jsonl(doc))
    plain, termed = render_jsonl(translated).splitlines(), render_jsonl(doc).splitlines()
    changed = [n for n, (a, b) in enumerate(zip(plain, termed, strict=True)) if a != b]
    assert changed and all('"name": "term"' in termed[n] for n in changed)
    assert "term: Korea Selatan \u2192 South Korea" in render_html(doc)
    assert render_signature(doc.signature).endswith(f"|glossary:{engine.glossary.digest}")
