"""Required target terms: whether a translation holds one as written, and a term as the target
tokenizer's pieces (what the constrained search places; see :mod:`constraints`).

A term is held when it stands in the text as a whole word or words: exactly as written
(case included), with no letter or digit glued to either side (``OJK's`` and ``(OJK)`` hold
``OJK``; ``OJKs`` does not). Runs of white space count as one space, as everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sejajar.core.text import fold

# The piece SentencePiece starts a word with.
WORD_START = "\u2581"


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(fold(term))}(?!\w)")


def holds(text: str, term: str) -> bool:
    """Whether ``text`` holds ``term`` as written, as a whole word or words."""
    folded = fold(term)
    return bool(folded) and _pattern(folded).search(fold(text)) is not None


def missing(text: str, terms: Sequence[str]) -> tuple[str, ...]:
    """The ``terms`` ``text`` does not hold (each once, in their order)."""
    return tuple(dict.fromkeys(t for t in terms if not holds(text, t)))


def term_ids(tokenizer: Any, term: str) -> list[int] | None:
    """``term`` as the target tokenizer's token ids (end-of-sentence left out), or None when
    the tokenizer cannot give it back as written (a character its vocabulary lacks): such a
    term cannot be placed, and is reported missing unless the model writes it."""
    folded = fold(term)
    if not folded:
        return None
    ids = list(tokenizer(text_target=folded)["input_ids"])
    if ids and ids[-1] == tokenizer.eos_token_id:
        ids.pop()
    if not ids or tokenizer.unk_token_id in ids:
        return None
    if fold(tokenizer.decode(ids, skip_special_tokens=True)) != folded:
        return None
    return ids


def joining_tokens(tokenizer: Any, vocab: int) -> list[bool]:
    """For each of ``vocab`` token ids, whether its piece continues the word before it (no
    word-start mark, and a letter or digit first)."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(min(vocab, len(tokenizer)))))
    joins = [bool(p) and not p.startswith(WORD_START) and bool(re.match(r"\w", p)) for p in pieces]
    return joins + [False] * (vocab - len(joins))


class Speller:
    """Terms as a Marian tokenizer's target token ids, each spelt once, and the tokens of its
    ``vocab`` that continue a word (``joins``, a boolean tensor), for the constrained search."""

    def __init__(self, tokenizer: Any, vocab: int) -> None:
        import torch

        self.tokenizer = tokenizer
        self.joins = torch.tensor(joining_tokens(tokenizer, vocab), dtype=torch.bool)
        self._ids: dict[str, list[int] | None] = {}

    def ids(self, term: str) -> list[int] | None:
        if term not in self._ids:
            self._ids[term] = term_ids(self.tokenizer, term)
        return self._ids[term]

    def constraints(self, terms: Sequence[Sequence[str]]) -> list[list[list[int]]]:
        """Each sentence's placeable terms as token ids (those it cannot spell left out)."""
        return [[i for i in map(self.ids, sentence) if i is not None] for sentence in terms]
