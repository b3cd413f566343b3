"""Bad, odd and huge input: what is read, what is refused with one line, and random input
that must never end in a traceback."""

from __future__ import annotations

import codecs
import errno
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sejajar.align.export.tsv import parse_tsv
from sejajar.cli import app
from sejajar.core.files import InputError, read_article
from sejajar.translate.split import split_text
from tests.helpers import run

runner = CliRunner()
ARTICLE = "Harga naik 5 persen.\nPresiden tiba di Jakarta. Ia disambut.\n"


# --- reading ---------------------------------------------------------------------------------

READABLE = [
    ("utf-8 BOM", codecs.BOM_UTF8 + ARTICLE.encode(), ARTICLE),
    ("utf-16-le BOM", codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"), ARTICLE),
    ("utf-16-be BOM", codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"), ARTICLE),
    ("CRLF", ARTICLE.replace("\n", "\r\n").encode(), ARTICLE),
    ("lone CR", ARTICLE.replace("\n", "\r").encode(), ARTICLE),
    (
        "NBSP and zero-width",
        "Harga\u00a0naik\u200b 5\u2009persen.".encode(),
        "Harga naik 5 persen.",
    ),
    ("control characters", b"Harga\x07naik\x1b 5 persen.", "Harga naik  5 persen."),
    (
        "mixed scripts",
        "Harga naik. Цена выросла. 价格上涨。".encode(),
        "Harga naik. Цена выросла. 价格上涨。",
    ),
    (
        "saved web page",
        b"<!DOCTYPE html><html><head><title>Berita</title><script>alert(1)</script></head>"
        b"<body><nav>Menu</nav><p>Harga naik 5 persen.</p><p>Presiden tiba &amp; disambut.</p></body></html>",
        "Berita\nHarga naik 5 persen.\nPresiden tiba & disambut.",
    ),
    # Issue 25, item 12: pages saved by browsers start in many ways.
    *[
        (f"saved page: {start[:20]!r}", start + b"<p>Harga naik.</p><div>Presiden tiba.</div>",
         "Harga naik.\nPresiden tiba.")
        for start in (
            b"<!-- saved from url=(0040)https://www.kontan.co.id/news/berita -->\n<html>",
            b'<?xml version="1.0" encoding="utf-8"?>\n<html>',
            b'<meta charset="utf-8">',
            b"\n\n  <!-- a comment -->  <!-- another -->\n<head></head><body>",
            b"<P>",
            b"<article>",
        )
    ],
    # Item 13: a UTF-32 BOM starts with the UTF-16 one.
    ("utf-32-le BOM", codecs.BOM_UTF32_LE + ARTICLE.encode("utf-32-le"), ARTICLE),
    ("utf-32-be BOM", codecs.BOM_UTF32_BE + ARTICLE.encode("utf-32-be"), ARTICLE),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "text"), READABLE, ids=[c[0] for c in READABLE])
def test_readable_inputs(case: str, data: bytes, text: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    assert read_article(path) == text


REFUSED = [
    ("empty", b"", "{p}: empty file, no text to translate"),
    ("whitespace", b" \n\t\r\n", "{p}: empty file, no text to translate"),
    ("NUL bytes", b"abc\x00def", "{p}: binary data (NUL bytes), not a text file"),
    ("random binary", bytes(range(256)), "{p}: binary data (NUL bytes), not a text file"),
    (
        "latin-1",
        "Kafé buka.".encode("latin-1"),
        "{p}: invalid UTF-8 at line 1, column 4 (byte 0xe9); save it as UTF-8",
    ),
    (
        "html with no text",
        b"<html><body><script>x()</script></body></html>",
        "{p}: empty file, no text to translate",
    ),
    # Item 12: a text that only mentions a tag stays text.
    # Item 14: UTF-16 without a byte-order mark.
    ("utf-16-le no BOM", ARTICLE.encode("utf-16-le"),
     "{p}: looks like UTF-16 without a byte-order mark; convert it to UTF-8"),
    ("utf-16-be no BOM", ARTICLE.encode("utf-16-be"),
     "{p}: looks like UTF-16 without a byte-order mark; convert it to UTF-8"),
]  # fmt: skip


def test_text_about_tags_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Tag <p> membuka paragraf.\n<b>naik</b> kata dia.\n<pre is not a tag\n")
    assert (
        read_article(path)
        == "Tag <p> membuka paragraf.\n<b>naik</b> kata dia.\n<pre is not a tag\n"
    )


def test_a_symlink_loop_is_named_as_one(tmp_path: Path) -> None:
    """Item 21: a link loop used to say "no such file"."""
    loop = tmp_path / "a.txt"
    loop.symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(loop)
    with pytest.raises(InputError) as info:
        read_article(loop)
    assert str(info.value) == f"{loop}: a loop of symbolic links; point it at a file"
    dangling = tmp_path / "c.txt"
    dangling.symlink_to(tmp_path / "gone.txt")
    with pytest.raises(InputError) as info:
        read_article(dangling)
    assert str(info.value) == f"{dangling}: a link to {tmp_path / 'gone.txt'}, which does not exist"


@pytest.mark.parametrize(("case", "data", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_inputs(case: str, data: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_article(path)
    assert str(info.value) == message.format(p=path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Halo.")

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)  # as root, chmod 000 does not stop a read
    with pytest.raises(InputError, match=r": cannot read \(Permission denied\)$"):
        read_article(path)


def test_one_megabyte_line_and_twenty_megabyte_article(tmp_path: Path) -> None:
    line = "kata " * 200_000 + "selesai."
    (tmp_path / "line.txt").write_text(line)
    (segment,) = split_text(read_article(tmp_path / "line.txt"))
    assert segment.text == line.strip()
    paragraph = "Presiden AS Joe Biden bertemu Yoon di Washington pada Rabu (26/4/2023). " * 20
    big = (paragraph + "\n") * (20_000_000 // (len(paragraph) + 1))
    (tmp_path / "big.txt").write_text(big)
    segments = split_text(read_article(tmp_path / "big.txt"))
    assert len(segments) == 20 * big.count("\n")
    assert segments[-1].end == len(big.rstrip())


def test_three_thousand_word_sentence_is_split_not_truncated(
    tiny_model: Path, tmp_path: Path
) -> None:
    words = [f"kata{i % 97}" for i in range(3000)]
    sentence = " ".join(w + ("," if i % 25 == 24 else "") for i, w in enumerate(words)) + "."
    (tmp_path / "long.txt").write_text(sentence)
    code, _, err = run(
        "translate",
        str(tmp_path / "long.txt"),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 0, err
    ((source, target),) = parse_tsv((tmp_path / "o" / "long.tsv").read_text())
    assert source == sentence and target
    assert "split-long" in (tmp_path / "o" / "long.html").read_text()


# --- random input never ends in a traceback --------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_random_input_never_crashes(
    data: bytes, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.txt").write_bytes(data)
    result = runner.invoke(
        app,
        [
            "translate",
            str(folder / "x.txt"),
            "--out",
            str(folder / "o"),
            "--model",
            str(tiny_model),
            "--beams",
            "1",
            "--no-cache",
        ],
    )
    assert result.exit_code in (0, 1), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert all(line.startswith(("Error: ", "1 inputs: ")) for line in result.stderr.splitlines())
