"""Quality flags: a table of true and false cases per detector, and clean real pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.align.flags import (
    length_ratio,
    names,
    number_mismatch,
    quality_flags,
    repetition,
    untranslated,
)
from sejajar.core.records import Kind
from sejajar.translate.split import split_text

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent

LENGTH = [
    (
        "Harga beras naik tajam di seluruh pasar Jakarta.",
        "Rice prices rose sharply in all Jakarta markets.",
        False,
    ),
    ("Harga beras naik tajam di seluruh pasar Jakarta.", "Rice.", True),
    ("Harga beras naik tajam di seluruh pasar.", "Rice prices rose " * 8, True),
    ("Ya.", "Yes, indeed it is.", False),  # too short to judge
]

NUMBERS = [
    ("Inflasi naik 3,5 persen.", "Inflation rose 3.5 percent.", False),
    ("Anggaran Rp1,5 triliun disetujui.", "A budget of Rp1.5 trillion was approved.", False),
    ("Anggaran Rp1,5 triliun disetujui.", "A budget of 1.5 trillion rupiah was approved.", False),
    ("Gajinya Rp1.500.000 per bulan.", "His salary is Rp1,500,000 a month.", False),
    ("Gajinya Rp1.500.000 per bulan.", "His salary is Rp1.500.000 a month.", False),
    ("Sebanyak 2,5 juta orang mudik.", "As many as 2.5 million people went home.", False),
    ("Pada Rabu (26/4/2023) AS berjanji.", "On Wednesday (26/4/2023) the US promised.", False),
    ("Pada Rabu (26/4/2023) AS berjanji.", "On Wednesday, April 26, 2023, the US promised.", False),
    ("Pada Rabu (26/4/2023) AS berjanji.", "On Wednesday 26 April 2023 the US promised.", False),
    ("Rapat dimulai pukul 14.30 WIB.", "The meeting began at 2:30 p.m.", False),
    ("Rapat dimulai pukul 14.30 WIB.", "The meeting began at 14:30 WIB.", False),
    ("Sebanyak 1.727 orang meninggal.", "As many as 1,727 people died.", False),
    # true mismatches
    ("Inflasi naik 3,5 persen.", "Inflation rose 35 percent.", True),
    ("Anggaran Rp1,5 triliun disetujui.", "A budget of Rp1.5 billion was approved.", True),
    ("Pada Rabu (26/4/2023) AS berjanji.", "On Wednesday (4/26/2023) the US promised.", True),
    ("Rapat dimulai pukul 08.00 WIB.", "The meeting began at 8:00 p.m.", True),
    ("Studi tahun 2010-2011 menunjukkan.", "The 2010-211 study showed.", True),
    ("Usia di atas 60 tahun.", "Aged over 60 and 1060.", True),
]

UNTRANSLATED = [
    ("Harga naik tajam.", "Prices rose sharply.", False),
    ("Harga naik tajam.", "Harga naik tajam.", True),
    (
        "Presiden tiba di Jakarta dan disambut.",
        "The president arrived di Jakarta dan was welcomed yang.",
        True,
    ),
    ("Joe Biden.", "Joe Biden.", True),
    ("Presiden ke Jakarta.", "The president went to Jakarta.", False),
]

REPETITION = [
    ("Harga naik.", "Prices rose.", False),
    ("Harga naik.", "Always Always Always Always", True),
    ("Harga naik.", "the surfaces of the surfaces of the surfaces of", True),
    ("Dia berkata sangat, sangat penting.", "He said very, very important.", False),
    ("Ha ha ha ha, katanya.", "Ha ha ha ha, he said.", False),  # the source repeats it too
]

NAMES = [
    ("Presiden AS Joe Biden bertemu Yoon.", "US President Joe Biden met Yoon.", False),
    ("Presiden AS Joe Biden bertemu Yoon.", "U.S. President Joe Biden met Yoon.", False),
    ("Korea Selatan dan Korut berunding.", "South Korea and North Korea negotiated.", False),
    ("Korsel menolak.", "Seoul refused.", False),
    ("Misi Korea Utara untuk PBB diam.", "North Korea's mission to the UN was silent.", False),
    ("Kerry bertemu menteri di Italia.", "Kerry met ministers in Italy.", False),
    ("Apakah Anda demam?", "Do you have a fever?", False),
    ("Kelompok Konsultatif Nuklir dibentuk.", "A Nuclear Consultative Group was formed.", False),
    (
        "China Ajukan Protes Atas Pernyataan Presiden",
        "China Protests the President's Statement",
        False,
    ),
    # true misses
    ("Presiden AS Joe Biden bertemu Yoon.", "The president met Yoon.", True),
    ("Presiden AS Joe Biden bertemu Yoon.", "President Joe Biden met Yoon.", True),
    ("Korea Selatan menolak.", "North Korea refused.", True),
    ("Infeksi SARS-CoV-2 menyebar.", "SARS-CAV-2 infections spread.", True),
]


@pytest.mark.parametrize(("source", "target", "flagged"), LENGTH)
def test_length_ratio(source: str, target: str, flagged: bool) -> None:
    assert (length_ratio(source, target) is not None) is flagged


@pytest.mark.parametrize(("source", "target", "flagged"), NUMBERS)
def test_number_mismatch(source: str, target: str, flagged: bool) -> None:
    assert (number_mismatch(source, target) is not None) is flagged


@pytest.mark.parametrize(("source", "target", "flagged"), UNTRANSLATED)
def test_untranslated(source: str, target: str, flagged: bool) -> None:
    assert (untranslated(source, target) is not None) is flagged


@pytest.mark.parametrize(("source", "target", "flagged"), REPETITION)
def test_repetition(source: str, target: str, flagged: bool) -> None:
    assert (repetition(source, target) is not None) is flagged


@pytest.mark.parametrize(("source", "target", "flagged"), NAMES)
def test_names(source: str, target: str, flagged: bool) -> None:
    assert (names(source, target) is not None) is flagged


def test_reasons_say_what_is_wrong() -> None:
    flag = number_mismatch("Inflasi naik 3,5 persen pada 2023.", "Inflation rose 35 percent.")
    assert flag is not None and flag.reason == "missing in target: 3.5, 2023; not in source: 35"
    flag = names("Presiden AS Joe Biden bertemu Yoon.", "The president met Yoon.")
    assert flag is not None and flag.reason == "not found in target: AS, Joe, Biden"
    flag = length_ratio("Harga beras naik tajam di seluruh pasar Jakarta.", "Rice.")
    assert flag is not None and flag.reason == "target is 0.10 x the source length: unusually short"


def test_clean_real_pairs_get_no_flag() -> None:
    """The Kontan article against a careful translation of each of its sentences."""
    segments = split_text((ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt").read_text())
    bridge = (DATA / "kontan.bridge.txt").read_text().splitlines()
    for segment, english in zip(segments, bridge, strict=True):
        if segment.kind in (Kind.SENTENCE, Kind.HEADING):
            assert quality_flags(segment.text, english) == (), segment.text
