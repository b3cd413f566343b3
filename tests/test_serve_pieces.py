"""The service's pieces on their own: a text split and rebuilt as translate splits it, HTML
markup kept, language detection, API keys, quotas and the service's settings."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from sejajar.core.language import identify
from sejajar.serve.detect import detect
from sejajar.serve.keys import Keys, Quota
from sejajar.serve.passages import Markup, passage, rebuild
from sejajar.serve.settings import ServeError, ServeSettings
from tests.helpers import KONTAN


def test_passages_keep_the_texts_spacing_and_lines() -> None:
    text = "  Presiden tiba.  Ia disambut.\n\nBaca Juga: berita lain\r\nHarga naik. "
    doc = passage(text)
    assert [s.text for s in doc.segments] == [
        "Presiden tiba.", "Ia disambut.", "Baca Juga: berita lain", "Harga naik."
    ]  # fmt: skip
    assert rebuild(doc, ["A.", "B.", "C", "D."]) == "  A.  B.\n\nC\nD. "


def test_passages_split_as_the_cli_does() -> None:
    from sejajar.jobs.files import load_document

    article = load_document(KONTAN)
    assert [s.text for s in passage(KONTAN.read_text("utf-8")).segments] == [
        s.text for s in article.segments
    ]


def test_markup_keeps_tags_and_leaves_code_and_translate_no() -> None:
    markup = Markup(
        'Judul <b class="x">tebal</b> &amp; <i>miring</i><script>var a = "b";</script>'
        '<p translate="no">Nama</p><!-- catatan --> ekor'
    )
    texts = [d.text for d in markup.passages]
    assert texts == ["Judul ", "tebal", " & ", "miring", " ekor"]
    out = markup.render([t.upper() for t in texts])
    assert out == ('JUDUL <b class="x">TEBAL</b> &amp; <i>MIRING</i><script>var a = "b";</script>'
                   '<p translate="no">Nama</p><!-- catatan --> EKOR')  # fmt: skip


def test_detect_tells_indonesian_from_english(sample_texts: dict[str, str]) -> None:
    for text in sample_texts.values():
        assert detect(text)[0]["language"] == "id"
    english = Path(__file__).parent / "data" / "kontan.en.txt"
    assert detect(english.read_text("utf-8"))[0]["language"] == "en"
    assert detect("12345")[0]["confidence"] == 0.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Startup fintech itu meraih funding Series A senilai US$ 10 juta.", "id"),
        ('"Our alliance is stronger than ever," kata Biden.', "id"),
        ("Make America Great Again!", "id"),  # unsure: Indonesian, as translate takes it
        ("Kerajaan Malaysia akan mengumumkan bajet tahun hadapan.", "id"),
        ("Our alliance is stronger than ever.", "en"),
    ],
)
def test_detect_answers_as_the_shared_identifier(text: str, language: str) -> None:
    found = detect(text)
    assert found[0]["language"] == language
    assert (language == "en") is identify(text).foreign
    assert [d["language"] for d in found] == [language, "id" if language == "en" else "en"]


def test_keys_file_holds_keys_or_their_hashes(tmp_path: Path) -> None:
    path = tmp_path / "keys.txt"
    hashed = hashlib.sha256(b"second-key-of-the-desk").hexdigest()
    path.write_text(f"# comment\n\nfirst-key-of-the-desk\nsha256:{hashed.upper()}\n")
    keys = Keys.read(path)
    assert "first-key-of-the-desk" not in repr(keys.hashes)  # kept hashed
    assert keys.check("first-key-of-the-desk") and keys.check("second-key-of-the-desk")
    assert keys.check("first-key-of-the-des") is None and keys.check("") is None
    for bad, message in [
        ("short\n", "at least 16"),
        ("sha256:abc\n", "not a SHA-256"),
        ("#\n", "holds no key"),
    ]:
        path.write_text(bad)
        with pytest.raises(ServeError, match=message):
            Keys.read(path)


def test_quota_counts_a_sliding_minute() -> None:
    quota = Quota(100)
    assert quota.take("a", 60, now=600.0) is None
    assert quota.take("a", 50, now=610.0) == pytest.approx(50.0)  # 110 > 100 in this minute
    assert quota.take("b", 50, now=610.0) is None  # each caller its own
    # Half of the next minute gone: half of the 60 still counts.
    assert quota.take("a", 70, now=690.0) is None
    assert quota.take("a", 1, now=690.0) is not None
    assert Quota(0).take("a", 10**9) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": "0.0.0.0"}, "no api_keys"),
        ({"host": "::"}, "no api_keys"),
        ({"max_body": 0}, "max_body must be at least 1, not 0"),
        ({"port": 70000}, "port must be at most 65535"),
    ],
)
def test_settings_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ServeError, match=message):
        ServeSettings(**options)
    ServeSettings(host="::1")
    ServeSettings(host="0.0.0.0", insecure=True)
