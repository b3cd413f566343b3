"""The translate job: articles in, their parallel documents written in every format asked.

Inputs are taken in windows of a few documents (:func:`windows`, bounded by a sentence budget
and a document count), and a window's segments go to the translator in one call
(:func:`translate_window`): a crawl of short articles then fills the model's batches, and
memory stays bounded by the window, however many inputs there are."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path

from sejajar.align.pipeline import pair_translations, to_translate
from sejajar.core.files import InputError, shown
from sejajar.core.pause import output_written
from sejajar.core.records import Document, ParallelDocument, run_signature
from sejajar.jobs.files import load_document, write_outputs
from sejajar.translate.split import splitter_id
from sejajar.translate.translator import Progress, Translation, Translator, TranslatorError

# A window holds documents until their segments to translate reach this many...
WINDOW_SENTENCES = 512
# ...or it holds this many documents.
WINDOW_DOCUMENTS = 64


@dataclass(frozen=True)
class Outcome:
    source: Path
    outputs: tuple[Path, ...] = ()
    error: str | None = None
    translated: int = 0


@dataclass
class Summary:
    """What a run over several inputs did, for its last line."""

    inputs: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    translated: int = 0
    cached: int = 0
    repeated: int = 0  # served from the run's memory: met earlier in the run
    note: str = ""  # what happened to the cache, when it was off

    def render(self) -> str:
        return (
            f"{self.inputs} inputs: {self.done} done, {self.skipped} skipped, "
            f"{self.failed} failed; {self.translated} sentences translated, "
            f"{self.cached} from the cache, {self.repeated} repeated in the run{self.note}"
        )


@dataclass(frozen=True)
class Loaded:
    """One input of a window: its document and the segments to translate, or why it failed."""

    source: Path
    doc: Document | None = None
    chosen: tuple[int, ...] = ()
    error: str | None = None


def windows(
    sources: Sequence[Path],
    *,
    keep_boilerplate: bool = False,
    sentences: int = WINDOW_SENTENCES,
    documents: int = WINDOW_DOCUMENTS,
) -> Iterator[list[Loaded]]:
    """The inputs read and split, in order, grouped in windows of at most ``documents``
    documents whose segments to translate stay within ``sentences`` (a longer document is a
    window of its own). An input that cannot be read is in its window as an error. Lazy: one
    window is in memory at a time."""
    window: list[Loaded] = []
    count = 0
    for source in sources:
        try:
            doc = load_document(source)
        except InputError as exc:
            window.append(Loaded(source, error=str(exc)))
        else:
            chosen = tuple(to_translate(doc, keep_boilerplate))
            if window and count + len(chosen) > sentences:
                yield window
                window, count = [], 0
            window.append(Loaded(source, doc, chosen))
            count += len(chosen)
        if count >= sentences or len(window) >= documents:
            yield window
            window, count = [], 0
    if window:
        yield window


def translate_window(
    window: Sequence[Loaded],
    out_dir: Path,
    translator: Callable[[], Translator],
    *,
    formats: Sequence[str],
    progress: Callable[[int], Progress] | None = None,
) -> list[Outcome]:
    """Translate a window's documents in one translator call and write each one's outputs;
    an outcome per input, in order. ``translator`` is called only when the window holds a
    readable input, so bad inputs never cost a model load. ``progress`` receives the number of
    segments to translate and returns the per-batch callback. When the window's translation
    fails (a worker died twice on a batch), its documents are translated one by one, so only
    the document that fails is lost."""
    results = _translate(window, translator, progress)
    outcomes = []
    for item, result in zip(window, results, strict=True):
        if isinstance(result, str):
            outcomes.append(Outcome(item.source, error=result))
            continue
        try:
            outputs = write_outputs(result, item.source, out_dir, formats)
        except OSError as exc:
            error = f"{shown(item.source)}: cannot write to {out_dir}: {exc.strerror or exc}"
            outcomes.append(Outcome(item.source, error=error))
            continue
        outcomes.append(Outcome(item.source, outputs=outputs, translated=len(item.chosen)))
        output_written()
    return outcomes


def _translate(
    window: Sequence[Loaded],
    translator: Callable[[], Translator],
    progress: Callable[[int], Progress] | None,
) -> list[ParallelDocument | str]:
    """Each input's parallel document, or its error line."""
    readable = [(item, item.doc) for item in window if item.doc is not None]
    if not readable:
        return [item.error or "" for item in window]
    engine = translator()
    texts = [doc.segments[i].text for item, doc in readable for i in item.chosen]
    try:
        done = engine.translate(texts, progress(len(texts)) if progress else None)
    except TranslatorError:
        translations = [_translate_alone(item, doc, engine) for item, doc in readable]
    else:
        starts = list(accumulate((len(item.chosen) for item, _ in readable), initial=0))
        translations = [done[a:b] for a, b in pairwise(starts)]
    signature = run_signature(splitter_id(), *engine.signature)
    found = iter(translations)
    results: list[ParallelDocument | str] = []
    for item in window:
        if item.doc is None:
            results.append(item.error or "")
            continue
        result = next(found)
        if isinstance(result, str):
            results.append(result)
        else:
            chosen = dict(zip(item.chosen, result, strict=True))
            results.append(pair_translations(item.doc, chosen, signature))
    return results


def _translate_alone(item: Loaded, doc: Document, engine: Translator) -> list[Translation] | str:
    """One document's translations, or the error line when its translation fails."""
    try:
        return engine.translate([doc.segments[i].text for i in item.chosen])
    except TranslatorError as exc:  # a worker process died translating it, twice
        return f"{item.source}: cannot translate: {exc}"


def translate_file(
    source: Path,
    out_dir: Path,
    translator: Callable[[], Translator],
    *,
    formats: Sequence[str],
    keep_boilerplate: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> Outcome:
    """Translate one input into its outputs: a window of one document."""
    (window,) = windows([source], keep_boilerplate=keep_boilerplate)
    (outcome,) = translate_window(window, out_dir, translator, formats=formats, progress=progress)
    return outcome
