"""Windows of documents translated in one model call, for ``sejajar translate`` and
``sejajar corpus`` alike: short articles then fill the model's batches, and memory stays bounded
by the window however many documents a run has.

A window holds documents until the sentences they send to the model reach
:data:`WINDOW_SENTENCES`, or until it holds :data:`WINDOW_DOCUMENTS` documents
(:func:`windows`). Its sentences go to the model in one call; when that call fails (a worker
died twice on a batch), each document is translated alone, so that the failure costs only the
document that causes it (:func:`translate_each`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, pairwise
from typing import Protocol, TypeVar

from sejajar.translate.translator import Progress, Translation, Translator, TranslatorError

# A window holds documents until the sentences they send to the model reach this many...
WINDOW_SENTENCES = 512
# ...or it holds this many documents.
WINDOW_DOCUMENTS = 64


class Windowed(Protocol):
    """A document of a window: the sentences it sends to the model (none when it failed, or
    goes without the model)."""

    @property
    def texts(self) -> Sequence[str]: ...


W = TypeVar("W", bound=Windowed)


def windows(
    items: Iterable[W],
    *,
    sentences: int = WINDOW_SENTENCES,
    documents: int = WINDOW_DOCUMENTS,
) -> Iterator[list[W]]:
    """``items`` in order, grouped in windows of at most ``documents`` documents whose
    sentences to translate stay within ``sentences`` (a longer document is a window of its
    own). Lazy: one window is in memory at a time."""
    window: list[W] = []
    count = 0
    for item in items:
        size = len(item.texts)
        if window and count + size > sentences:
            yield window
            window, count = [], 0
        window.append(item)
        count += size
        if count >= sentences or len(window) >= documents:
            yield window
            window, count = [], 0
    if window:
        yield window


def translate_each(
    engine: Translator,
    texts: Sequence[Sequence[str]],
    progress: Progress | None = None,
) -> list[list[Translation] | TranslatorError]:
    """Each document's translations (``texts[i]`` are document ``i``'s sentences), from one
    call for all of them. When that call fails, each document is translated alone: in the
    place of one that fails again, its error. ``progress`` follows the one call."""
    try:
        done = engine.translate([t for doc in texts for t in doc], progress)
    except TranslatorError as exc:
        if sum(1 for doc in texts if doc) <= 1:  # alone already: no second try
            return [exc if doc else [] for doc in texts]
        return [_alone(engine, doc) for doc in texts]
    starts = list(accumulate((len(doc) for doc in texts), initial=0))
    return [done[a:b] for a, b in pairwise(starts)]


def _alone(engine: Translator, texts: Sequence[str]) -> list[Translation] | TranslatorError:
    try:
        return engine.translate(texts) if texts else []
    except TranslatorError as exc:  # a worker process died translating it, twice
        return exc
