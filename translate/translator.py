"""The translator interface. The base class owns everything engine-independent: fitting long
sentences to the model, length-sorted batching under a token budget, and restoring order.
An engine implements only :meth:`Translator.generate` (one batch) and token counting, and
:meth:`Translator.generate_terms` when it can place required terms in its outputs.

Required terms (a glossary's target strings for what a sentence holds) are given per sentence
to :meth:`Translator.translate`; each translation says which of its terms are not in its text
as written (``missing_terms``: an engine that cannot place them, or a term that did not fit
before the length cap), so that the caller flags them rather than losing them silently."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sejajar.core.errors import SejajarError
from sejajar.translate.chunk import split_to_fit
from sejajar.translate.required import missing

if TYPE_CHECKING:
    from sejajar.translate.glossary import Glossary

Progress = Callable[[int], None]
# Per sentence, the target strings its translation must hold.
Terms = Sequence[Sequence[str]]


class TranslatorError(SejajarError):
    """A translator cannot be built or run (missing model, bad device...): a user-facing error."""


@dataclass(frozen=True)
class Translation:
    """One translated text and what happened on the way."""

    text: str
    hit_length_cap: bool = False  # generation stopped at the output cap, not at end-of-sentence
    split_long: bool = False  # the source exceeded the model's input limit and was cut into pieces
    # The required terms the text does not hold as written (see :mod:`required`).
    missing_terms: tuple[str, ...] = ()


def output_cap(source_tokens: int, limit: int = 511) -> int:
    """Maximum output tokens for a source of this length: a looping model cannot run away.
    ``limit`` is what the model's decoder can hold at all."""
    return min(2 * source_tokens + 16, limit)


class Translator(ABC):
    """Translates lists of sentences. Subclasses set ``max_input_tokens`` and ``batch_size``."""

    max_input_tokens: int = 512
    batch_size: int = 16
    # At most this many padded source tokens in one batch, so a batch of long sentences stays
    # within memory however large ``batch_size`` is.
    token_budget: int = 8192
    # The run's glossary (house terms), when it has one: set by the translator that enforces
    # it (:class:`~sejajar.translate.glossary.GlossaryTranslator`), passed on by the others in
    # front of it, so whoever pairs the translations can check the terms.
    glossary: Glossary | None = None

    @property
    @abstractmethod
    def signature(self) -> tuple[tuple[str, str], ...]:
        """Every setting that decides the output, as (key, value) pairs."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Number of model input tokens for ``text`` (end-of-sentence included)."""

    @abstractmethod
    def generate(self, texts: Sequence[str]) -> list[Translation]:
        """Translate one batch of texts that each fit the model's input limit."""

    def generate_terms(self, texts: Sequence[str], terms: Terms) -> list[Translation]:
        """Translate one batch where ``texts[i]``'s translation must hold ``terms[i]``. This
        engine cannot place terms: it translates without them (``translate`` then reports the
        terms its outputs lack)."""
        return self.generate(texts)

    def translate(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        terms: Terms | None = None,
    ) -> list[Translation]:
        """Translate any number of texts; results come back in input order.

        ``progress`` is called with the number of input texts finished by each batch.
        ``terms[i]``: the target strings text i's translation must hold; each translation's
        ``missing_terms`` names those it does not. A text cut into pieces to fit the model
        gives its terms to its first piece.
        """
        if terms is not None and len(terms) != len(texts):
            raise ValueError(f"{len(terms)} lists of terms for {len(texts)} texts")
        pieces: list[str] = []
        owner: list[int] = []
        wanted: list[tuple[str, ...]] = []
        for i, text in enumerate(texts):
            parts = split_to_fit(text, lambda t: self.count_tokens(t) <= self.max_input_tokens)
            pieces.extend(parts)
            owner.extend([i] * len(parts))
            first = tuple(terms[i]) if terms is not None else ()
            wanted.extend([first] + [()] * (len(parts) - 1))
        remaining = [0] * len(texts)
        for i in owner:
            remaining[i] += 1

        def finished(batch: list[int]) -> None:
            done = 0
            for index in batch:
                remaining[owner[index]] -= 1
                done += remaining[owner[index]] == 0
            if progress is not None and done:
                progress(done)

        placing = wanted if any(wanted) else None
        joined = _join(texts, owner, self._run(pieces, finished, placing))
        if terms is None:
            return joined
        return [
            replace(t, missing_terms=missing(t.text, wanted_terms))
            for t, wanted_terms in zip(joined, terms, strict=True)
        ]

    def _run(
        self,
        pieces: list[str],
        finished: Callable[[list[int]], None],
        terms: list[tuple[str, ...]] | None = None,
    ) -> list[Translation]:
        """Translate pieces that fit the model: length-sorted batches, results in input order.
        ``finished`` is told the indices of each batch done; ``terms`` are each piece's terms
        (None: no piece has any). An engine with its own batching may override this."""
        lengths = [self.count_tokens(p) for p in pieces]
        batches = self._batches(lengths, self._batch_limit(len(pieces)))
        done: list[Translation | None] = [None] * len(pieces)
        batch_terms = None if terms is None else [[terms[j] for j in b] for b in batches]
        texts = [[pieces[j] for j in b] for b in batches]
        for number, results in self._generate_batches(texts, batch_terms):
            for index, result in zip(batches[number], results, strict=True):
                done[index] = result
            finished(batches[number])
        return [r for r in done if r is not None]

    def _batch_limit(self, count: int) -> int:
        """The most pieces in one batch, for a run of ``count`` pieces."""
        return self.batch_size

    def _generate_batches(
        self, batches: list[list[str]], terms: list[list[tuple[str, ...]]] | None = None
    ) -> Iterator[tuple[int, list[Translation]]]:
        """(batch number, its translations) for every batch, in the order they finish;
        ``terms``: each batch's texts' terms, or None when no text has any."""
        for number, texts in enumerate(batches):
            wanted = None if terms is None else terms[number]
            if wanted is not None and any(wanted):
                yield number, self.generate_terms(texts, wanted)
            else:
                yield number, self.generate(texts)

    def close(self) -> None:
        """Release what the translator holds beyond memory (worker processes)."""
        return None

    def translate_batch(self, texts: list[str]) -> list[str]:
        """The plain interface: texts in, translations out, same order."""
        return [t.text for t in self.translate(texts)]

    def _batches(self, lengths: list[int], size: int) -> list[list[int]]:
        """Indices grouped longest first, so each batch holds similar lengths (little padding);
        at most ``size`` in a batch."""
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            widest = lengths[current[0]] if current else lengths[i]
            if current and (
                len(current) >= size or widest * (len(current) + 1) > self.token_budget
            ):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches


class WrappingTranslator(Translator):
    """A translator in front of another (the run's memory, the cache): the wrapped one's
    limits, signature, token counts and batches, with :meth:`translate` its own."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.max_input_tokens = inner.max_input_tokens
        self.batch_size = inner.batch_size
        self.glossary = inner.glossary

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return self.inner.signature

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        return self.inner.generate(texts)

    def generate_terms(self, texts: Sequence[str], terms: Terms) -> list[Translation]:
        return self.inner.generate_terms(texts, terms)


def _join(texts: Sequence[str], owner: list[int], done: list[Translation]) -> list[Translation]:
    grouped: list[list[Translation]] = [[] for _ in texts]
    for i, result in zip(owner, done, strict=True):  # strict: every piece was translated
        grouped[i].append(result)
    return [
        Translation(
            text=" ".join(r.text for r in parts if r.text),
            hit_length_cap=any(r.hit_length_cap for r in parts),
            split_long=len(parts) > 1,
        )
        for parts in grouped
    ]
