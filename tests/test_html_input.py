"""Saved web pages as input (issue 14, item 11): the headline in <header>, an unclosed <nav>,
code and navigation dropped, entities, paragraphing, hostile markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.core.files import InputError, read_article
from sejajar.core.webpage import html_to_text

PAGE = "<!DOCTYPE html><html><head><title>Berita</title></head><body>{}</body></html>"

CASES = [
    (
        "headline in header",
        "<header><a href='/'>Logo</a><nav><a>Beranda</a></nav><h1>Harga beras naik</h1>"
        "</header><article><p>Harga naik 5 persen.</p></article>",
        "Berita\nLogo\nHarga beras naik\nHarga naik 5 persen.",
    ),
    (
        "unclosed nav",
        "<nav><a>Beranda</a> <a>Politik</a><h1>Judul berita</h1><p>Isi satu.</p><p>Isi dua.</p>",
        "Berita\nJudul berita\nIsi satu.\nIsi dua.",
    ),
    (
        "closed nav, aside and footer",
        "<nav><ul><li>Beranda</li></ul></nav><p>Isi.</p><aside><h3>Terkait</h3><p>Lain</p>"
        "</aside><footer><p>Hak cipta</p></footer>",
        "Berita\nIsi.",
    ),
    (
        "scripts, styles and code",
        "<script>var p = '<p>x</p>';</script><style>p{}</style><noscript>Aktifkan JS</noscript>"
        "<p>Isi<script>y()</script> tetap.</p><template><p>t</p></template><svg><title>ikon"
        "</title></svg>",
        "Berita\nIsi tetap.",
    ),
    (
        "page wrapped in a form",
        "<form action='/'><input name=q><button>Cari</button><h1>Judul</h1><p>Isi.</p></form>",
        "Berita\nJudul\nIsi.",
    ),
    (
        "entities",
        "<p>Tom &amp; Jerry &lt;b&gt; caf&eacute; &#8212; &#x41; 5&nbsp;persen &unknown;</p>",
        "Berita\nTom & Jerry <b> café — A 5 persen &unknown;",
    ),
    (
        "br and p paragraphing",
        "Awal<br>kedua<p>Satu\nbaris   lagi.</p>ekor<div><span>dalam</span> div</div>",
        "Berita\nAwal\nkedua\nSatu baris lagi.\nekor\ndalam div",
    ),
    ("comments", "<p>a<!-- <p>no</p> -->b</p>", "Berita\nab"),
]


@pytest.mark.parametrize(("case", "body", "text"), CASES, ids=[c[0] for c in CASES])
def test_page_text(case: str, body: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(PAGE.format(body))
    assert read_article(path) == text


def test_hostile_markup_is_read_in_one_pass() -> None:
    # Quadratic in html.parser (21 s at this size); the bench row shows linear growth.
    assert html_to_text("<html><body><p>Isi.</p>" + "<a" * 100_000) == "Isi."
    assert html_to_text("<html><body>" + "<p>x" * 50_000 + "</body></html>") == "\n".join(
        ["x"] * 50_000
    )


def test_too_deep_nesting_is_refused_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "deep.txt"
    path.write_text("<html><body>" + "<div>" * 3000 + "Isi." + "</div>" * 3000)
    with pytest.raises(InputError) as error:
        read_article(path)
    # libxml2's own hint (XML_PARSE_HUGE, an option of its C interface) is not the user's to act on.
    assert str(error.value) == (
        f"{path}: HTML page cannot be read: its elements nest deeper than 2048 levels; save "
        "the page's text instead"
    )
