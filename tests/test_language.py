"""The language identifier on real sentences: Indonesian against not, the sample articles, and
short Indonesian sentences full of names, numbers and English loanwords."""

from __future__ import annotations

import pytest

from sejajar.core.language import document_language, identify, reads_as_indonesian
from tests.language_cases import accuracy, foreign_share, mixed_set, sample_sentences


@pytest.fixture(scope="module")
def sentences() -> dict[str, list[str]]:
    return mixed_set()


def test_indonesian_against_not(sentences: dict[str, list[str]]) -> None:
    # 12,778 sentences (TICO-19 and Tatoeba, every line of both languages).
    assert accuracy(sentences) >= 0.98


def test_no_indonesian_sentence_is_foreign(sentences: dict[str, list[str]]) -> None:
    assert foreign_share(sentences["id"]) == 0
    assert foreign_share(sentences["ms"]) == 0  # Malay counts as Indonesian (the model reads it)


def test_javanese_is_mostly_foreign(sentences: dict[str, list[str]]) -> None:
    assert foreign_share(sentences["jv"]) >= 0.8


def test_no_sentence_of_the_sample_articles_is_foreign() -> None:
    found = sample_sentences()
    assert len(found) == 30
    assert [s for s in found if identify(s).foreign] == []


@pytest.mark.parametrize(
    "text",
    [
        "Joe Biden tiba di Seoul.",
        "Harga iPhone 15 Pro naik 5%.",
        "Startup fintech itu meraih funding Series A senilai US$ 10 juta.",
        "Presiden Joe Biden dan Presiden Yoon Suk Yeol.",
        "Live streaming dimulai pukul 19.00 WIB.",
        "Download aplikasinya di Google Play Store.",
        "Work from home diterapkan sejak Maret 2020.",
        "Washington Post melaporkan hal itu.",
        "CEO Apple Tim Cook.",
        "Breaking News",
        "Advertisement",
        "Yoon Suk Yeol",
        '"Our alliance is stronger than ever," kata Biden.',
        '"Our alliance is stronger than ever," ujarnya.',
        "Kerajaan Malaysia akan mengumumkan bajet tahun hadapan pada bulan Oktober.",
    ],
)
def test_indonesian_when_unsure(text: str) -> None:
    assert identify(text).foreign is False
    assert identify(text).language == "id"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The United States will respond swiftly and decisively to any attack.", "en"),
        ("Our alliance is stronger than ever.", "en"),
        ('"Our alliance is stronger than ever," he said.', "en"),
        ("\u201cWe will respond swiftly and decisively to any attack.\u201d", "en"),
        ("Wilujeng sumping ing kutha Solo, kula badhe ngaturaken sugeng rawuh.", "jv"),
    ],
)
def test_foreign_when_sure(text: str, language: str) -> None:
    guess = identify(text)
    assert guess.foreign is True
    assert guess.language == language


def test_document_language() -> None:
    assert document_language(sample_sentences()) == "id"
    english = ["The president arrived in Seoul on Monday.", "Prices rose sharply this week."]
    assert document_language([*english, "Harga naik."]) == "en"
    assert document_language([]) == "id"


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("The president arrived di Jakarta dan was welcomed yang.", True),
        ("Harga naik tajam.", True),
        ("Prices rose sharply.", False),
        ("The president went to Jakarta.", False),
        ("Joe Biden.", False),  # too short to say
    ],
)
def test_reads_as_indonesian(text: str, reads: bool) -> None:
    assert reads_as_indonesian(text) is reads
