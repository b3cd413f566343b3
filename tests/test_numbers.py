"""One number reader and one lexicon behind both the aligner's anchors and the quality
flags: a table of Indonesian/English pairs on which both must agree."""

from __future__ import annotations

from collections import Counter

import pytest

from sejajar.align.features import anchors
from sejajar.align.flags import names, number_mismatch
from sejajar.core.lexicon import MONTH_NUMBER, MONTHS, NAME_FORMS
from sejajar.core.numbers import read_numbers
from sejajar.core.text import fold

# (Indonesian, English, values read from each under its language, the same numbers?)
PAIRS = [
    (
        "Inflasi 3,5 persen, Rp1.500.000 dan 2023.",
        "Inflation of 3.5 percent, 1,500,000 rupiah in 2023.",
        ["3.5", "1500000", "2023"],
        ["3.5", "1500000", "2023"],
        True,
    ),
    (
        "Pukul 14.30 WIB, Rp1.500 juta.",
        "At 2:30 p.m., 1.5 billion rupiah.",
        ["time:14:30", "1500000000"],
        ["time:14:30", "1500000000"],
        True,
    ),
    # A bare 14.30 is a time in Indonesian (the flags read it as 14.3 before).
    ("Acara dimulai 14.30.", "The event began at 14:30.", ["time:14:30"], ["time:14:30"], True),
    ("Acara dimulai 14.30.", "The event began at 2:30 p.m.", ["time:14:30"], ["time:14:30"], True),
    ("Angka 14.75 tercatat.", "The figure 14.75 was recorded.", ["14.75"], ["14.75"], True),
    # Trailing zeros and leading zeros do not make another number (anchors differed before).
    ("Harga 3,50 dolar.", "The price is 3.5 dollars.", ["3.5"], ["3.5"], True),
    ("Kode 007 dipakai.", "Code 7 was used.", ["7"], ["7"], True),
    ("Sebanyak 1.727 orang.", "As many as 1,727 people.", ["1727"], ["1727"], True),
    ("Sebanyak 2,5 juta orang.", "Some 2.5 million people.", ["2500000"], ["2500000"], True),
    ("Rp1,5 triliun.", "1.5 trillion rupiah.", ["1500000000000"], ["1500000000000"], True),
    ("Gajinya Rp1.500.000.", "His salary is Rp1.500.000.", ["1500000"], ["1500000"], True),
    (
        "Pada Rabu (26/4/2023).",
        "On Wednesday, April 26, 2023.",
        ["date:2023-04-26"],
        ["date:2023-04-26"],
        True,
    ),
    (
        "Pada 26 Januari 2023.",
        "On 26th January 2023.",
        ["date:2023-01-26"],
        ["date:2023-01-26"],
        True,
    ),
    # different numbers
    ("Inflasi naik 3,5 persen.", "Inflation rose 35 percent.", ["3.5"], ["35"], False),
    ("Rapat pukul 08.00 WIB.", "The meeting at 8:00 p.m.", ["time:08:00"], ["time:20:00"], False),
    (
        "Pada Rabu (26/4/2023).",
        "On Wednesday (4/26/2023).",
        ["date:2023-04-26"],
        ["4", "26", "2023"],
        False,
    ),
    ("Studi 2010-2011.", "The 2010-211 study.", ["2010", "2011"], ["2010", "211"], False),
    ("Rp1,5 triliun.", "1.5 billion rupiah.", ["1500000000000"], ["1500000000"], False),
]


def _number_keys(text: str, language: str) -> Counter[str]:
    return Counter(key for key in anchors(text, language) if key.startswith("#"))


@pytest.mark.parametrize(("source", "target", "id_values", "en_values", "same"), PAIRS)
def test_anchors_and_flags_agree_on_numbers(
    source: str, target: str, id_values: list[str], en_values: list[str], same: bool
) -> None:
    assert [n.value for n in read_numbers(source, "id")] == id_values
    assert [n.value for n in read_numbers(target, "en")] == en_values
    assert (_number_keys(source, "id") == _number_keys(target, "en")) is same
    assert (number_mismatch(source, target) is None) is same


def test_a_token_of_both_conventions_keeps_both_readings() -> None:
    """``1.500`` is 1500 in Indonesian and 1.5 in English: the anchor takes the text's own
    convention, the flag accepts either (translations often copy the Indonesian form)."""
    (number,) = read_numbers("1.500 orang", "id")
    assert (number.value, number.values) == ("1500", frozenset({"1500", "1.5"}))
    (number,) = read_numbers("1.500 people", "en")
    assert number.value == "1.5"
    assert number_mismatch("Sebanyak 1.500 orang.", "As many as 1.500 people.") is None
    assert read_numbers("versi 1.2.3", "id") == []


@pytest.mark.parametrize(("phrase", "forms"), sorted(NAME_FORMS.items()))
def test_anchors_and_flags_agree_on_names(phrase: str, forms: tuple[str, ...]) -> None:
    """Each Indonesian name of the lexicon, against its usual English form: the name flag
    finds it and the anchors give the same keys on both sides."""
    indonesian = "AS" if phrase == "as" else phrase.title()
    english = forms[0].upper() if len(forms[0]) <= 2 else forms[0].title()
    source, target = f"Kata {indonesian} kemarin.", f"So said {english} yesterday."
    assert names(source, target) is None
    id_keys = Counter(anchors(indonesian, "id"))
    en_keys = Counter(anchors(english, "en"))
    assert id_keys == en_keys, (id_keys, en_keys)


@pytest.mark.parametrize("month", MONTHS)
def test_months_agree(month: tuple[str, ...]) -> None:
    number = MONTH_NUMBER[month[0]]
    source = f"Rapat 5 {month[0].title()} 2023."
    target = f"The meeting, {month[1].title()} 5, 2023."
    assert [n.value for n in read_numbers(source, "id")] == [f"date:2023-{number:02d}-05"]
    assert anchors(source, "id")[2:] == anchors(target, "en")[2:] == [month[1]]
    assert number_mismatch(source, target) is None
    assert names(source, target) is None


def test_fold() -> None:
    assert fold("  a\t b\n\u00a0c\u2009 ") == "a b c"
