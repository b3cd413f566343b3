"""In-run deduplication: a crawl repeats sentences (boilerplate, a quote carried by several
outlets, the same wire story in many papers), and each distinct sentence is translated once
per run, across calls and documents, before the translation cache is even asked.

Sentences are keyed by their whitespace fold (:func:`sejajar.core.text.fold`): the engines'
tokenizers (opus-mt's SentencePiece model, the fake translator of the tests) read runs of
spaces, tabs, newlines and no-break spaces as one space and ignore them at both ends, so two
texts with the same fold get the same translation, and one is translated for both. A sentence
with required terms is another sentence than the same text without them (or with others).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from sejajar.core.text import fold
from sejajar.translate.translator import (
    Progress,
    Terms,
    Translation,
    Translator,
    WrappingTranslator,
)

# Distinct sentences remembered at most. An entry holds the folded source, the translation and
# the dictionary's links: about 600 bytes for a news sentence of 120-180 characters (measured
# with tracemalloc), so the default costs about 120 MB at most, whatever the size of the run.
DEFAULT_CAPACITY = 200_000


class DedupTranslator(WrappingTranslator):
    """Wraps a translator: a text whose fold was translated earlier in the run (or earlier in
    the same call) is served from memory, not sent again. At most ``capacity`` sentences are
    remembered; when full, the one least recently used is forgotten first.

    Counts ``repeats`` (texts served without being sent: earlier in the run or a duplicate
    within one call) and ``sent`` (texts handed to the wrapped translator)."""

    def __init__(self, inner: Translator, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        super().__init__(inner)
        self.capacity = capacity
        self.memo: OrderedDict[str, Translation] = OrderedDict()
        self.repeats = 0
        self.sent = 0

    def translate(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        terms: Terms | None = None,
    ) -> list[Translation]:
        """Translations in input order; ``progress`` counts input texts, repeats included;
        ``terms`` as :meth:`Translator.translate` takes them."""
        wanted = [()] * len(texts) if terms is None else [tuple(t) for t in terms]
        keys = [_key(t, w) for t, w in zip(texts, wanted, strict=True)]
        known: dict[str, Translation] = {}
        todo: dict[str, tuple[str, tuple[str, ...]]] = {}  # key -> the first text, its terms
        for key, text, its_terms in zip(keys, texts, wanted, strict=True):
            if key in known or key in todo:
                continue
            found = self.memo.get(key)
            if found is not None:
                self.memo.move_to_end(key)
                known[key] = found
            else:
                todo[key] = (text, its_terms)
        served = sum(1 for k in keys if k in known)
        if progress is not None and served:
            progress(served)
        if todo:
            sent = [text for text, _ in todo.values()]
            if terms is None:
                results = self.inner.translate(sent, progress)
            else:
                sent_terms = [t for _, t in todo.values()]
                results = self.inner.translate(sent, progress, terms=sent_terms)
            for key, result in zip(todo, results, strict=True):
                known[key] = result
                self.memo[key] = result
                self.memo.move_to_end(key)
            while len(self.memo) > self.capacity:
                self.memo.popitem(last=False)
            # The wrapped translator counted each sent text once; its duplicates in this call
            # finish with it.
            duplicates = len(keys) - served - len(todo)
            if progress is not None and duplicates:
                progress(duplicates)
        self.sent += len(todo)
        self.repeats += len(keys) - len(todo)
        return [known[k] for k in keys]


def _key(text: str, terms: tuple[str, ...]) -> str:
    """A text's key in the memory: its fold, and its terms' folds when it has any."""
    if not terms:
        return fold(text)
    return "\x00".join((fold(text), *(fold(t) for t in terms)))
