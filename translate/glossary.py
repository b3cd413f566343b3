"""A glossary (house terminology): Indonesian terms and the English each must become, found
in a text in one pass of an Aho-Corasick automaton (pyahocorasick), and checked in a
translation.

Matching rules (one table of cases in ``tests/test_glossary.py``):

- whole words only: ``BI`` is not found in ``BIN`` nor ``OJK`` in ``OJK2``; a hyphen ends a
  word (``OJK-BI`` holds both);
- an entry written all in lower case (``kepolisian``) matches in any case (``Kepolisian``);
  any other (``OJK``, ``Bank Indonesia``) only as written (``Ojk`` is not ``OJK``);
- the longest match first: with ``Bank Indonesia`` and ``Indonesia`` in the glossary, ``Bank
  Indonesia`` is one term; of two matches that overlap, the one starting first wins;
- an Indonesian clitic may follow, with or without a hyphen: ``-nya``, ``-lah``, ``-kah``
  (``KPK-lah``, ``Kemenkeunya``, ``DPR-nya``); one clitic, not a chain, and no other suffix
  (``BIN`` stays ``BIN``).

In a translation, a term's English is present when it occurs as whole words, exactly as
written but for the case of its first letter (a sentence may open with a lower-case entry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sejajar.core.records import Signature
from sejajar.translate.required import holds
from sejajar.translate.translator import (
    Progress,
    Terms,
    Translation,
    Translator,
    WrappingTranslator,
)

# The clitics that may follow a term; a term with one is still the term.
CLITICS = ("nya", "lah", "kah")


@dataclass(frozen=True)
class Term:
    """One entry: an Indonesian term, the English it must become, a note for reviewers, and
    where it was read (``FILE:LINE``)."""

    source: str
    target: str
    note: str = ""
    origin: str = ""

    @property
    def any_case(self) -> bool:
        """Written all in lower case: matched in any case."""
        return self.source == self.source.lower()

    def shown(self) -> str:
        return f"{self.source} \u2192 {self.target}"


@dataclass(frozen=True)
class Match:
    """A term found in a text: ``start``/``end`` span the term as written there, a clitic
    after it not included."""

    start: int
    end: int
    term: Term


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _fold(text: str) -> str:
    """``text`` in lower case, each character where it was (``str.lower`` makes two of a few
    characters, ``İ``; those are kept as they are)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _after_clitic(text: str, end: int) -> int:
    """Where the word that ends at ``end`` really ends, past one clitic; -1 when another
    word character follows (the term is part of a longer word)."""
    if end == len(text) or not _is_word(text[end]):
        if end < len(text) and text[end] == "-":
            return _after_clitic_word(text, end + 1, end)
        return end
    return _after_clitic_word(text, end, -1)


def _after_clitic_word(text: str, at: int, otherwise: int) -> int:
    low = text[at : at + 3].lower()
    if low in CLITICS:
        stop = at + 3
        if stop == len(text) or not _is_word(text[stop]):
            return stop
    return otherwise


class Glossary:
    """The terms of one or more glossary files, ready to be found in any text in time linear in
    its length. Two entries with the same Indonesian (as matched) and different English are
    refused where they are read (see :mod:`sejajar.translate.termbase`)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        # Folded source -> its entries: an exact one (``BI``) and a lower-case one (``bi``)
        # may share a key; the exact one wins where it matches as written.
        self.terms = tuple(terms)
        self._by_key: dict[str, list[Term]] = {}
        for term in self.terms:
            self._by_key.setdefault(_fold(term.source), []).append(term)

    def __len__(self) -> int:
        return len(self.terms)

    @cached_property
    def digest(self) -> str:
        """What decides the output, hashed: each (Indonesian, English) pair, in sorted order
        (notes and file names change nothing). The same terms read from TSV or TBX have the
        same digest."""
        lines = sorted(f"{t.source}\t{t.target}" for t in self.terms)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]

    @cached_property
    def _automaton(self) -> Any:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for key in self._by_key:
            automaton.add_word(key, len(key))
        if self._by_key:
            automaton.make_automaton()
        return automaton

    def matches(self, text: str) -> list[Match]:
        """The terms of ``text``, in order, none overlapping (longest first, see the module's
        rules). One pass of the automaton over the text, then one over its hits."""
        if not self._by_key or not text:
            return []
        folded = _fold(text)
        # At each start, the longest term that matches there under the rules.
        longest: dict[int, Term] = {}
        for last, size in self._automaton.iter(folded):
            start = last + 1 - size
            if start > 0 and _is_word(text[start - 1]):
                continue
            if _after_clitic(text, last + 1) < 0:
                continue
            term = self._entry(folded[start : last + 1], text[start : last + 1])
            held = longest.get(start)
            if term is not None and (held is None or len(held.source) < size):
                longest[start] = term
        found: list[Match] = []
        free = 0
        for start in sorted(longest):  # at most one per start: at most len(text) of them
            term = longest[start]
            if start >= free:
                found.append(Match(start, start + len(term.source), term))
                free = start + len(term.source)
        return found

    def _entry(self, key: str, written: str) -> Term | None:
        """The entry of ``key`` that matches ``written``: the exact one first."""
        entries = self._by_key[key]
        exact = next((t for t in entries if t.source == written), None)
        return exact or next((t for t in entries if t.any_case), None)

    def required(self, text: str) -> list[Term]:
        """The distinct terms of ``text``, in the order they first occur."""
        return list(dict.fromkeys(m.term for m in self.matches(text)))

    def targets(self, texts: Sequence[str]) -> list[list[str]]:
        """Per text, the English its terms require (each once, in order): what a constrained
        search must place."""
        return [list(dict.fromkeys(t.target for t in self.required(text))) for text in texts]

    def missing(self, source: str, target: str) -> list[Term]:
        """The terms of ``source`` whose English ``target`` lacks."""
        return [t for t in self.required(source) if not self.has_target(target, t.target)]

    def has_target(self, text: str, wanted: str) -> bool:
        """``wanted`` stands in ``text`` as whole words (:func:`~sejajar.translate.required.
        holds`, what the search checks too), its first letter in either case."""
        return holds(text, wanted) or holds(text, wanted[:1].swapcase() + wanted[1:])


def signed(settings: Sequence[tuple[str, str]], glossary: Glossary | None) -> Signature:
    """``settings`` (a signature's) with the glossary's digest last, when there is one and
    it is not there yet: outputs, scores and the cache's key say which terms made them."""
    if glossary is None or any(key == "glossary" for key, _ in settings):
        return tuple(settings)
    return (*settings, ("glossary", glossary.digest))


class GlossaryTranslator(WrappingTranslator):
    """The translator of a run with a glossary: each text's terms are found and handed to the
    engine's search with the text, which places them in the output (or reports the ones it
    could not: flagged ``term`` where the translations are paired); its signature, and so the
    cache's key, carries the glossary's digest."""

    def __init__(self, inner: Translator, glossary: Glossary) -> None:
        super().__init__(inner)
        self.glossary = self.enforced = glossary

    @property
    def signature(self) -> Signature:
        return signed(self.inner.signature, self.enforced)

    def translate(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        terms: Terms | None = None,
    ) -> list[Translation]:
        """Each text's terms (the glossary's, after any ``terms`` given) placed by the engine;
        a call where no text has a term goes as without a glossary."""
        found = self.enforced.targets(texts)
        if terms is not None:
            found = [list(dict.fromkeys([*t, *f])) for t, f in zip(terms, found, strict=True)]
        if not any(found):
            return self.inner.translate(texts, progress)
        return self.inner.translate(texts, progress, terms=found)
