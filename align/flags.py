"""Quality flags: per pair, each detector says what a reviewer should check and why.

Detectors are pure functions of the source and target text. They understand Indonesian
conventions (``3,5 persen`` is ``3.5 percent``, ``Rp1,5 triliun`` is ``1.5 trillion rupiah``,
``(26/4/2023)`` is day/month/year, ``14.30 WIB`` is ``2:30 p.m.``) so that a correct
conversion is not flagged. Thresholds come from the real opus-mt-id-en outputs on TICO-19.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from sejajar.core.language import identify, reads_as_indonesian
from sejajar.core.lexicon import INDONESIAN_MONTHS, NAME_FORMS
from sejajar.core.numbers import Number, read_numbers
from sejajar.core.records import Flag
from sejajar.core.text import fold

if TYPE_CHECKING:
    from sejajar.translate.glossary import Glossary

# --- length ---------------------------------------------------------------------------------

# Real outputs on TICO-19: 99.8% between 0.45 and 1.33 of the source length.
MIN_RATIO, MAX_RATIO, MIN_CHARS = 0.5, 1.6, 20


def length_ratio(source: str, target: str) -> Flag | None:
    if len(source) < MIN_CHARS:
        return None
    ratio = len(target) / len(source)
    if MIN_RATIO <= ratio <= MAX_RATIO:
        return None
    how = "short" if ratio < MIN_RATIO else "long"
    return Flag("length-ratio", f"target is {ratio:.2f} x the source length: unusually {how}")


# --- numbers --------------------------------------------------------------------------------


def _unmatched(wanted: list[Number], offered: list[Number]) -> list[str]:
    """Numbers of ``wanted`` with no partner in ``offered``, each partner used once: the
    first free number of ``offered`` sharing a reading. Readings index ``offered``, so this
    is linear in the number count."""
    queues: dict[str, deque[int]] = {}
    for k, number in enumerate(offered):
        for value in number.values:
            queues.setdefault(value, deque()).append(k)
    used = [False] * len(offered)
    missing = []
    for number in wanted:
        partner = None
        for value in number.values:
            queue = queues.get(value)
            while queue and used[queue[0]]:
                queue.popleft()
            if queue and (partner is None or queue[0] < partner):
                partner = queue[0]
        if partner is None:
            missing.append(number.shown())
        else:
            used[partner] = True
    return missing


def number_mismatch(source: str, target: str) -> Flag | None:
    src, tgt = read_numbers(source, "id"), read_numbers(target, "en")
    lost, added = _unmatched(src, tgt), _unmatched(tgt, src)
    if not lost and not added:
        return None
    parts = []
    if lost:
        parts.append(f"missing in target: {', '.join(lost)}")
    if added:
        parts.append(f"not in source: {', '.join(added)}")
    return Flag("number-mismatch", "; ".join(parts))


# --- untranslated ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def untranslated(source: str, target: str) -> Flag | None:
    if fold(source).lower() == fold(target).lower() and _TOKEN.search(source):
        return Flag("untranslated", "target is a copy of the source")
    if reads_as_indonesian(target):  # the identifier of foreign passages, the other way
        return Flag("untranslated", "target still reads as Indonesian")
    return None


# --- foreign --------------------------------------------------------------------------------


def foreign_passage(source: str, done: str) -> Flag:
    """The flag of a source sentence that is not Indonesian (:mod:`sejajar.core.language`),
    saying which language it is and ``done``, what became of it."""
    return Flag("foreign", f"not Indonesian ({identify(source).language}): {done}")


# --- repetition -----------------------------------------------------------------------------


def repetition(source: str, target: str) -> Flag | None:
    """A unit of 1 to 4 words repeated back to back (4 times for one word, 3 for more), unless
    the source repeats it too."""
    words = target.lower().split()
    low_source = source.lower()
    in_source: set[str] = set()  # repeated phrases the source has too: each looked up once
    for size in (1, 2, 3, 4):
        need = 4 if size == 1 else 3
        for start in range(len(words) - size * need + 1):
            unit = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == unit for k in range(need)):
                phrase = " ".join(unit)
                if phrase in in_source:
                    continue
                if phrase in low_source:
                    in_source.add(phrase)
                    continue
                return Flag("repetition", f'"{phrase}" repeated {need}+ times: a decoding loop')
    return None


# --- names ----------------------------------------------------------------------------------

# Capitalised Indonesian words that are not names (titles, days, months, common nouns that
# open headings); a missing translation of these is no lost name.
_NOT_NAMES = INDONESIAN_MONTHS | frozenset(
    """presiden wakil menteri luar negeri pertahanan dalam gubernur bupati wali kota ketua dewan
    partai kementerian jenderal kepala direktur pemerintah perdana raja ratu pangeran senin
    selasa rabu kamis jumat sabtu minggu pulau sungai gunung jalan provinsi kabupaten badan
    bank dinas kantor kelompok konferensi deklarasi anda bapak ibu saudara tuhan allah
    baru raya timur tengah utara selatan barat besar agung kesehatan tahun fase hari nasional
    internasional umum negara republik kerajaan kota""".split()
)
# A run of capitalised words opened by one of these is an organisation or place description
# ("Kelompok Konsultatif Nuklir", "Pasar Grosir Makanan Laut"), translated, not copied.
_INSTITUTIONS = frozenset(
    """kelompok badan kementerian dewan partai pasar pusat lembaga komisi majelis dinas kantor
    organisasi universitas rumah sakit perusahaan bank pengadilan mahkamah sekolah
    deklarasi perjanjian undang konferensi program""".split()
)


def _present(forms: tuple[str, ...], target: str) -> bool:
    low = target.lower()
    return any(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w])", low) for f in forms)


# Capitalised words, joined by the small words inside institution names.
_CAP_WORD = r"\b[A-Z][\w\u00c0-\u024f-]*\b"
_RUN = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:dan|untuk|dari|di)\s+)?{_CAP_WORD})*")
_SIMILAR = 0.7
# Target words a lost name is compared with, at most: real sentences offer a few dozen after
# the filter below; only a segment of many thousands of distinct words reaches the cap, and
# then a name spelt alike may be reported lost (a reviewer checks it, nothing is dropped).
_MAX_CANDIDATES = 400


_OPENERS = ".!?:\"'\u201c("
_TARGET_WORD = re.compile(r"[\w-]+")


def _least_overlap(length: int) -> int:
    """The fewest characters two words of ``length`` characters together must share for
    :class:`SequenceMatcher` to rate them :data:`_SIMILAR` (the same float test it uses)."""
    shared = 0
    while 2.0 * shared / length < _SIMILAR:
        shared += 1
    return shared


def _tokens(word: str) -> list[tuple[str, int]]:
    """A word's characters as a set: the k-th ``a`` of the word is ``("a", k)``."""
    seen: dict[str, int] = {}
    tokens = []
    for char in word:
        tokens.append((char, seen.get(char, 0)))
        seen[char] = seen.get(char, 0) + 1
    return tokens


class _Target:
    """The target's words, indexed once per pair so that looking up a capitalised source word
    costs about the same whatever the length of the target.

    Spelling alike is found by prefix filtering: two words of lengths ``a`` and ``b`` rated
    :data:`_SIMILAR` share at least ``t`` characters (``t`` from ``a + b``; the matches of
    :class:`SequenceMatcher` never exceed the shared characters), so they share one among
    the first ``a - t + 1`` and ``b - t + 1`` characters of each, in an order that puts rare
    characters first. A word is compared only with target words that pass that test and
    the count of shared characters: the same answers as comparing with every word, up to
    :data:`_MAX_CANDIDATES` words."""

    def __init__(self, target: str) -> None:
        self.low = target.lower()
        distinct = list(dict.fromkeys(_TARGET_WORD.findall(self.low)))
        # A word made of word characters and hyphens occurs in the target only inside one of
        # its words, so searching the distinct words (joined by a line break) is the same as
        # searching the whole target.
        self.joined = "\n".join(distinct)
        self.known: dict[str, bool] = {}
        tokens = {word: _tokens(word) for word in distinct}
        self.rarity: dict[tuple[str, int], int] = {}
        for word_tokens in tokens.values():
            for token in word_tokens:
                self.rarity[token] = self.rarity.get(token, 0) + 1
        self.sets = {word: frozenset(word_tokens) for word, word_tokens in tokens.items()}
        # (length of the word looked up, length of the target word, token) -> target words
        self.postings: dict[tuple[int, int, tuple[str, int]], list[str]] = {}
        for word, word_tokens in tokens.items():
            ordered = self._ordered(word_tokens)
            size = len(word)
            for other in range(max(1, size - 4), size + 5):
                keep = size - _least_overlap(size + other) + 1
                for token in ordered[: max(0, keep)]:
                    self.postings.setdefault((other, size, token), []).append(word)

    def _ordered(self, tokens: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return sorted(tokens, key=lambda t: (self.rarity.get(t, 0), t))

    def has(self, word: str) -> bool:
        """``word`` is in the target, as it is or spelt alike (memoised per word)."""
        found = self.known.get(word)
        if found is None:
            low = word.lower()
            inside = self.joined if _TARGET_WORD.fullmatch(low) else self.low
            found = low in inside or self.spelt_alike(word)
            self.known[word] = found
        return found

    def spelt_alike(self, word: str) -> bool:
        """``Eropa``/``Europe``, ``Italia``/``Italy``: the same name in English spelling,
        a target word within 4 characters of its length rated :data:`_SIMILAR` or more.
        Acronyms must match exactly (``SARS-CoV-2`` is not ``SARS-CAV-2``)."""
        if word.isupper() or any(c.isdigit() for c in word):
            return False
        low = word.lower()
        own = _tokens(low)
        ordered, mine = self._ordered(own), frozenset(own)
        checked: set[str] = set()
        for size in range(max(1, len(low) - 4), len(low) + 5):
            keep = len(low) - _least_overlap(len(low) + size) + 1
            for token in ordered[: max(0, keep)]:
                for other in self.postings.get((len(low), size, token), ()):
                    if other in checked:
                        continue
                    if len(checked) == _MAX_CANDIDATES:
                        return False
                    checked.add(other)
                    shared = len(mine & self.sets[other])
                    if 2.0 * shared / (len(low) + size) < _SIMILAR:
                        continue
                    if SequenceMatcher(None, low, other).ratio() >= _SIMILAR:
                        return True
        return False


def _opens_sentence(text: str, start: int) -> bool:
    """The capitalised run at ``start`` opens the text, a sentence, a quote or a bracket."""
    before = start
    while before > 0 and text[before - 1].isspace():
        before -= 1
    return start == 0 or (before > 0 and text[before - 1] in _OPENERS)


def _lost_names(text: str, target: str) -> list[str]:
    """Capitalised words of ``text`` (not opening a sentence, not a title or an institution's
    description) that the target lacks. A headline in Title Case (no final punctuation) is
    skipped: most of its capitals are not names."""
    words = re.findall(r"[\w\u00c0-\u024f-]+", text)
    headline = not text.rstrip().endswith((".", "!", "?", '"', "\u201d"))
    if headline and len(words) >= 4 and sum(w[0].isupper() for w in words) > 0.6 * len(words):
        return []
    lost = []
    index = _Target(target)
    for run in _RUN.finditer(text):
        parts = [p for p in run[0].split() if p[0].isupper()]
        if parts[0].lower() in _INSTITUTIONS:
            continue
        opens = _opens_sentence(text, run.start())
        for k, word in enumerate(parts):
            if (k == 0 and opens and not word.isupper()) or word.lower() in _NOT_NAMES:
                continue
            if not index.has(word):
                lost.append(word)
    return lost


def names(source: str, target: str) -> Flag | None:
    low = source.lower()
    missing = []
    rest = source
    for phrase, forms in sorted(NAME_FORMS.items(), key=lambda kv: -len(kv[0])):
        pattern = rf"(?<![\w]){re.escape(phrase)}(?![\w])"
        is_as = phrase != "as" or re.search(r"(?<![\w])AS(?![\w])", source)
        if re.search(pattern, low) and is_as:
            if not _present(forms, target):
                missing.append(phrase.title() if phrase != "as" else "AS")
            rest = re.sub(pattern, " ", rest, flags=re.IGNORECASE)
    missing.extend(_lost_names(rest, target))
    missing = list(dict.fromkeys(missing))
    if not missing:
        return None
    return Flag("names", f"not found in target: {', '.join(missing[:5])}")


DETECTORS: tuple[Callable[[str, str], Flag | None], ...] = (
    length_ratio,
    number_mismatch,
    untranslated,
    repetition,
    names,
)


# --- terms ----------------------------------------------------------------------------------


def term(source: str, target: str, glossary: Glossary) -> Flag | None:
    """A glossary term of the source whose English the target lacks (the matching rules:
    :mod:`sejajar.translate.glossary`); the reason names each, ``OJK → Financial Services
    Authority (OJK)``."""
    missing = glossary.missing(source, target)
    if not missing:
        return None
    return Flag("term", "; ".join(t.shown() for t in missing))


def quality_flags(source: str, target: str, glossary: Glossary | None = None) -> tuple[Flag, ...]:
    """Every detector's flag for one pair, in a fixed order (the glossary's last, with one);
    none for a clean pair."""
    if not source.strip() or not target.strip():
        return ()
    found = [detect(source, target) for detect in DETECTORS]
    if glossary is not None:
        found.append(term(source, target, glossary))
    return tuple(flag for flag in found if flag is not None)
