"""Glossaries: the matching rules (one table of cases), the check of a translation, and the
files (TSV, CSV, TBX) with their one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.core.files import InputError
from sejajar.translate.glossary import Glossary, Term
from sejajar.translate.termbase import load_glossary, read_glossary
from tests.helpers import KONTAN, ROOT

NEWS = ROOT / "bench" / "data" / "glossary-news.tsv"

ENTRIES = [
    Term("Korea Selatan", "South Korea"),
    Term("Korea Utara", "North Korea"),
    Term("Korea", "Korea"),
    Term("Amerika Serikat", "United States"),
    Term("AS", "U.S."),
    Term("Gedung Putih", "White House"),
    Term("Deklarasi Washington", "Washington Declaration"),
    Term("nuklir", "nuclear"),
    Term("OJK", "Financial Services Authority (OJK)"),
    Term("Kemenkeu", "Finance Ministry"),
    Term("BI", "Bank Indonesia"),
    Term("bi", "bee"),
    Term("Bank Indonesia", "Bank Indonesia"),
    Term("KPK", "Corruption Eradication Commission (KPK)"),
    Term("DPR", "House of Representatives"),
]
GLOSSARY = Glossary(ENTRIES)

# (text, the terms found as written there)
CASES = [
    # longest first: "Korea Selatan" is one term, not "Korea"
    ("dengan Korea Selatan.", ["Korea Selatan"]),
    ("Korea Utara dan Korea", ["Korea Utara", "Korea"]),
    # whole words: not inside a longer word
    ("BIN dan OJK2 dan KPKB", []),
    ("Koreanya", ["Korea"]),  # a clitic is no longer word
    ("Koreanisasi", []),
    # a hyphen ends a word; a clitic may follow it
    ("AS-ROK", ["AS"]),
    ("OJK-BI", ["OJK", "BI"]),
    ("KPK-lah yang", ["KPK"]),
    ("DPR-kah", ["DPR"]),
    ("Kemenkeunya", ["Kemenkeu"]),
    ("DPRnyalah", []),  # one clitic, not a chain
    ("DPRpun", []),  # no other suffix
    # case: a lower-case entry in any case, any other only as written
    ("Nuklir dan NUKLIR dan nuklirnya", ["Nuklir", "NUKLIR", "nuklir"]),
    ("ojk dan Ojk dan bank indonesia", []),
    ("Bank Indonesia", ["Bank Indonesia"]),
    # "BI" as written is the exact entry; "Bi" only the lower-case one's
    ("BI dan Bi", ["BI", "Bi"]),
    # overlapping matches: the first to start wins
    ("Amerika Serikat AS", ["Amerika Serikat", "AS"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "found"), CASES)
def test_matching_rules(text: str, found: list[str]) -> None:
    assert [text[m.start : m.end] for m in GLOSSARY.matches(text)] == found


def test_the_exact_entry_wins_over_the_lower_case_one() -> None:
    targets = [m.term.target for m in GLOSSARY.matches("BI dan Bi")]
    assert targets == ["Bank Indonesia", "bee"]


def test_terms_of_the_sample_article() -> None:
    """Every sentence of a real article: its terms, found once each, in order."""
    text = KONTAN.read_text("utf-8")
    found = [text[m.start : m.end] for m in GLOSSARY.matches(text)]
    # the first paragraphs: "nuklirnya" is "nuklir" and its clitic; "Korea" alone never
    assert found[:9] == ["Amerika Serikat", "Korea Selatan", "Amerika Serikat", "Korea Selatan",
                         "nuklir", "Korea Utara", "nuklir", "Gedung Putih", "AS"]  # fmt: skip
    assert "Deklarasi Washington" in found and "Korea" not in found and len(found) == 39
    # nothing found inside a word: each match is bounded by non-letters (or a clitic)
    for m in GLOSSARY.matches(text):
        assert m.start == 0 or not text[m.start - 1].isalnum()
    # the per-sentence list a constrained search receives: each English once, in order
    sentence = "Presiden AS Joe Biden dan pemimpin Korea Selatan, dan Korea Selatan lagi."
    assert GLOSSARY.targets([sentence, "tanpa istilah"]) == [["U.S.", "South Korea"], []]


def test_a_translation_is_checked_for_each_term() -> None:
    source = "Kemenkeu dan OJK bertemu di Gedung Putih."
    good = "The Finance Ministry and the Financial Services Authority (OJK) met at the White House."
    assert GLOSSARY.missing(source, good) == []
    # first letter in either case, the rest exactly, whole words
    assert GLOSSARY.missing("Gedung Putih", "white House") == []
    missing = GLOSSARY.missing(source, "The finance ministry and OJK met at the White Houses.")
    assert [t.source for t in missing] == ["Kemenkeu", "OJK", "Gedung Putih"]


def test_digest_is_of_the_terms_only() -> None:
    same = Glossary([Term(t.source, t.target, note="a note", origin="x:1") for t in ENTRIES[::-1]])
    assert same.digest == GLOSSARY.digest
    other = Glossary([*ENTRIES[:-1], Term("DPR", "House")])
    assert other.digest != GLOSSARY.digest and len(GLOSSARY.digest) == 16


# --- files ---------------------------------------------------------------------------------

TBX_2008 = """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX-Basic" xml:lang="en">
  <martifHeader><fileDesc><sourceDesc><p>newsroom</p></sourceDesc></fileDesc></martifHeader>
  <text><body>
    <termEntry id="c1">
      <descrip type="definition">the finance ministry</descrip>
      <langSet xml:lang="id">
        <tig><term>Kemenkeu</term></tig>
        <tig><term>Kementerian Keuangan</term></tig>
      </langSet>
      <langSet xml:lang="en-GB"><tig><term>Finance Ministry</term></tig></langSet>
    </termEntry>
    <termEntry id="c2">
      <langSet xml:lang="fr"><tig><term>ministère</term></tig></langSet>
    </termEntry>
    <termEntry id="c3">
      <langSet xml:lang="in"><tig><term>OJK</term></tig></langSet>
      <langSet xml:lang="en"><tig><term>Financial Services Authority (OJK)</term></tig></langSet>
    </termEntry>
  </body></text>
</martif>
"""

TBX_V3 = """<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>newsroom</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="c1">
      <langSec xml:lang="id"><termSec><term>Kemenkeu</term></termSec>
        <termSec><term>Kementerian Keuangan</term></termSec></langSec>
      <langSec xml:lang="en"><termSec><term>Finance Ministry</term></termSec></langSec>
    </conceptEntry>
    <conceptEntry id="c3">
      <langSec xml:lang="id"><termSec><term>OJK</term></termSec></langSec>
      <langSec xml:lang="en"><termSec><term>Financial Services Authority (OJK)</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>
"""

PAIRS = [
    ("Kemenkeu", "Finance Ministry"),
    ("Kementerian Keuangan", "Finance Ministry"),
    ("OJK", "Financial Services Authority (OJK)"),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("g.tsv", "source\ttarget\tnote\nKemenkeu\tFinance Ministry\tthe ministry\n"
                  "# a comment\n\nKementerian  Keuangan\tFinance Ministry\nOJK\tFinancial Services Authority (OJK)\n"),
        ("g.txt", "Kemenkeu\tFinance Ministry\nKementerian Keuangan\tFinance Ministry\n"
                  "OJK\tFinancial Services Authority (OJK)\n"),
        ("g.csv", 'Source,Target\nKemenkeu,Finance Ministry,the ministry\n"Kementerian Keuangan",Finance Ministry\n'
                  'OJK,"Financial Services Authority (OJK)"\n'),
        ("g.tbx", TBX_2008),
        ("g.xml", TBX_V3),
    ],
)  # fmt: skip
def test_every_format_reads_the_same_terms(tmp_path: Path, name: str, text: str) -> None:
    glossary = read_glossary([_write(tmp_path, name, text)])
    assert glossary is not None
    assert [(t.source, t.target) for t in glossary.terms] == PAIRS
    # the same terms, the same digest, whatever the format
    assert glossary.digest == Glossary([Term(s, t) for s, t in PAIRS]).digest


def test_notes_and_origins_are_kept(tmp_path: Path) -> None:
    glossary = read_glossary([_write(tmp_path, "g.tbx", TBX_2008)])
    assert glossary is not None
    assert glossary.terms[0].note == "the finance ministry"
    assert glossary.terms[0].origin == "g.tbx:5".replace("g.tbx", str(tmp_path / "g.tbx"))


def test_the_news_glossary_holds_200_real_entries() -> None:
    glossary = read_glossary([NEWS])
    assert glossary is not None and len(glossary) == 200
    found = glossary.matches("Kemenkeu, OJK dan Bareskrim Polri menyurati Komisi III DPR.")
    assert [m.term.target for m in found] == [
        "Finance Ministry",
        "Financial Services Authority (OJK)",
        "the police's Criminal Investigation Agency (Bareskrim)",
        "House Commission III",
    ]


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("g.tsv", "Kemenkeu\tFinance Ministry\nOJK\n", "line 2: 1 tab-separated fields; expected source, target and an optional note"),
        ("g.tsv", "a\tb\tc\td\n", "line 1: 4 tab-separated fields; expected source, target and an optional note"),
        ("g.tsv", "Kemenkeu\t \n", "line 1: 'Kemenkeu' has no English"),
        ("g.tsv", " - \tdash\n", "line 1: the Indonesian term is empty (or holds no letter)"),
        ("g.csv", 'a,b\n"c,d\n', "line 2: unexpected end of data"),
        ("g.tsv", "# only a comment\n", "no glossary entries"),
        ("g.tsv", "", "no glossary entries"),
        ("g.tbx", "<martif><text><body>\n<termEntry>\n</martif>", "line 3: not well-formed XML"),
        ("g.tbx", "<glossary/>", "line 1: not a TBX file (no martif/tbx)"),
        ("g.tbx", TBX_2008.replace('<langSet xml:lang="en">', '<langSet xml:lang="de">'), "line 16: entry without an English term"),
        ("g.json", "{}", "unknown glossary format .json; use .tsv, .csv or .tbx"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_file_and_line(
    tmp_path: Path, name: str, text: str, error: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as caught:
        read_glossary([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and error in message and "\n" not in message


def test_a_term_given_two_translations_names_both_lines(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.tsv", "DPR\tHouse of Representatives\n")
    second = _write(tmp_path, "b.csv", "OJK,OJK\nDPR,parliament\n")
    with pytest.raises(InputError) as caught:
        read_glossary([first, second])
    assert str(caught.value) == (
        f"{second}:2: 'DPR' is 'parliament' here but 'House of Representatives' at {first}:1; keep one"
    )
    # the same translation twice is no conflict
    again = _write(tmp_path, "c.tsv", "DPR\tHouse of Representatives\n")
    glossary = read_glossary([first, again])
    assert glossary is not None and len(glossary) == 1


def test_tbx_entities_are_not_resolved(tmp_path: Path) -> None:
    """A termbase is data: an external entity is neither read nor fetched."""
    secret = _write(tmp_path, "secret.txt", "SECRET")
    text = TBX_2008.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE martif [<!ENTITY x SYSTEM "file://{secret}">]>',
    ).replace("<term>OJK</term>", "<term>OJK&x;</term>")
    glossary = read_glossary([_write(tmp_path, "g.tbx", text)])
    assert glossary is not None
    assert all("SECRET" not in t.source for t in glossary.terms)


def test_a_glossary_is_read_again_when_its_file_changes(tmp_path: Path) -> None:
    path = _write(tmp_path, "g.tsv", "DPR\tHouse of Representatives\n")
    first = load_glossary([path])
    assert load_glossary([path]) is first  # unchanged: read once
    path.write_text("DPR\tHouse\nMPR\tAssembly\n", "utf-8")
    again = load_glossary([path])
    assert again is not None and len(again) == 2
    assert load_glossary([]) is None
