"""The quality flags on long segments: the indexes that keep them near-linear give the same
answers as the plain comparisons they replace, and do a bounded amount of work per word
(the timings are in bench/flags.py)."""

from __future__ import annotations

import itertools
import random
import re
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from sejajar.align import flags
from sejajar.align.flags import names, number_mismatch, repetition
from sejajar.core.numbers import read_numbers

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
SOURCE = (ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt").read_text("utf-8")
TARGET = (DATA / "kontan.bridge.txt").read_text("utf-8")


def _spelt_alike_everywhere(word: str, target: str) -> bool:
    """The comparison with every target word that the index replaces."""
    low = word.lower()
    return not (word.isupper() or any(c.isdigit() for c in word)) and any(
        SequenceMatcher(None, low, other).ratio() >= 0.7
        for other in re.findall(r"[\w-]+", target.lower())
        if abs(len(other) - len(low)) <= 4
    )


def test_spelling_index_finds_what_comparing_every_word_finds() -> None:
    words = set(re.findall(r"[\w-]+", SOURCE + TARGET)) | {"Eropa", "Italia", "Kairo", "Korona"}
    target = TARGET + " Europe Italy Cairo corona"
    index = flags._Target(target)
    found = {w for w in words if index.spelt_alike(w.title())}
    assert found == {w for w in words if _spelt_alike_everywhere(w.title(), target)}
    assert {"Eropa", "Italia", "Kairo", "Korona"} <= found


def _invented(rng: random.Random, count: int, syllables: list[str]) -> list[str]:
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def test_names_compares_few_words_on_a_long_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, each lost name ran SequenceMatcher against every target word of a similar
    length (3.6 million times on a 25k-character sentence)."""
    rng = random.Random(1)
    lost = [w.title() for w in _invented(rng, 300, ["ka", "ri", "mo", "tu", "be", "la"])]
    other = _invented(rng, 3000, ["xa", "vo", "qu", "zi", "fe", "yo", "ka", "ri"])
    source = "Kata " + " dan ".join(lost) + "."
    target = "Said " + " and ".join(other) + "."
    calls = 0
    real = flags.SequenceMatcher

    def counting(*args: Any) -> SequenceMatcher[str]:
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(flags, "SequenceMatcher", counting)
    assert names(source, target) is not None
    assert calls <= 20 * len(lost)


def test_repetition_lowers_the_source_once() -> None:
    """A target that repeats what the source repeats, many times over: the source was
    lowercased again at every repeated unit."""

    class Counted(str):
        lowered = 0

        def lower(self) -> str:
            Counted.lowered += 1
            return super().lower()

    source = Counted("ha ha ha ha " * 200)
    assert repetition(source, "ha ha ha ha " * 200) is None
    assert Counted.lowered == 1


def _unmatched_by_scanning(wanted: list[frozenset[str]], offered: list[frozenset[str]]) -> int:
    """The list scan the dict replaced: the first free partner sharing a reading."""
    free, missing = list(offered), 0
    for options in wanted:
        partner = next((k for k, o in enumerate(free) if o & options), None)
        if partner is None:
            missing += 1
        else:
            free.pop(partner)
    return missing


@pytest.mark.parametrize("seed", range(20))
def test_number_pairing_matches_the_list_scan(seed: int) -> None:
    rng = random.Random(seed)
    forms = ["1.500", "1,500", "1.5", "3,5", "3.5", "35", "14.30", "2:30 p.m.", "26/4/2023", "7"]
    source = " ".join(rng.choice(forms) for _ in range(rng.randint(0, 12)))
    target = " ".join(rng.choice(forms) for _ in range(rng.randint(0, 12)))
    src, tgt = read_numbers(source, "id"), read_numbers(target, "en")
    lost = flags._unmatched(src, tgt)
    added = flags._unmatched(tgt, src)
    assert len(lost) == _unmatched_by_scanning([n.values for n in src], [n.values for n in tgt])
    assert len(added) == _unmatched_by_scanning([n.values for n in tgt], [n.values for n in src])
    assert (number_mismatch(source, target) is None) is (not lost and not added)


def test_many_numbers_pair_up() -> None:
    numbers = [f"{k:,}" for k in itertools.islice(itertools.count(1000, 7), 5000)]
    target = " ".join(numbers)
    source = " ".join(n.replace(",", ".") for n in reversed(numbers))
    assert number_mismatch(source, target) is None
    flag = number_mismatch(source + " 9", target)
    assert flag is not None and flag.reason == "missing in target: 9"
