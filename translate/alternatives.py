"""The next-best outputs of the beam (LibreTranslate's ``alternatives``): for each text, the
best outputs of a beam search as wide as the translator's and at least as wide as the
outputs asked for, best first, each once.

They come from each engine's own n-best search (transformers' ``generate`` with
``num_return_sequences``, CTranslate2's ``num_hypotheses``), run on the model in this process
(never the worker processes), one call per request: alternatives are asked for a sentence at a
time by a person choosing a wording, not by corpus runs. The main translation stays the one
the translator gives, so it is the same with or without alternatives.

With a glossary, the n-best search is not constrained: an output that lacks one of the
sentence's house terms (as the ``term`` flag checks it) is not offered as an alternative, so every
wording a person can pick keeps them. Fewer alternatives than asked for may then come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sejajar.core.text import fold
from sejajar.translate.translator import Translator, TranslatorError, WrappingTranslator


def n_best(translator: Translator, texts: Sequence[str], count: int) -> list[list[str]]:
    """Up to ``count`` outputs for each text, best first, distinct after whitespace folding.
    Raises :class:`TranslatorError` for a translator with no beam to draw them from."""
    if count < 1 or not texts:
        return [[] for _ in texts]
    engine = translator
    while isinstance(engine, WrappingTranslator):
        engine = engine.inner
    search = getattr(engine, "n_best_ids", None)
    if search is None:
        raise TranslatorError("this translator offers no alternatives")
    width = max(int(getattr(engine, "beams", 1)), count)
    tokenizer: Any = engine.tokenizer  # type: ignore[attr-defined]
    glossary = translator.glossary
    required = glossary.targets(texts) if glossary is not None else [[] for _ in texts]
    outputs: list[list[str]] = []
    for text, terms in zip(texts, required, strict=True):
        seen: dict[str, None] = {}
        for ids in search(text, width, count):
            decoded = fold(tokenizer.decode(ids, skip_special_tokens=True))
            if decoded and all(glossary.has_target(decoded, t) for t in terms):  # type: ignore[union-attr]
                seen.setdefault(decoded)
        outputs.append(list(seen)[:count])
    return outputs
