"""The translate job: articles in, their parallel documents written in every format asked.

Inputs are read and split (:func:`load_inputs`) and taken in windows of a few documents whose
sentences go to the translator in one call (:mod:`sejajar.jobs.windows`, shared with the corpus
job), then each document's outputs are written (:func:`translate_window`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.pipeline import pair_translations, to_translate
from sejajar.core.files import InputError, shown
from sejajar.core.pause import output_written
from sejajar.core.records import Document, ParallelDocument, run_signature
from sejajar.jobs.counts import RunCounts
from sejajar.jobs.files import load_document, write_outputs
from sejajar.jobs.windows import translate_each
from sejajar.translate.split import splitter_id
from sejajar.translate.translator import Progress, Translator, TranslatorError


@dataclass(frozen=True)
class Outcome:
    source: Path
    outputs: tuple[Path, ...] = ()
    error: str | None = None
    translated: int = 0


@dataclass(kw_only=True)
class Summary(RunCounts):
    """What a run over several inputs did, for its last line: ``documents`` are the inputs
    it translated (done or failed), ``skipped_inputs`` those it left (outputs all there)."""

    inputs: int
    skipped_inputs: int = 0
    note: str = ""  # what happened to the cache, when it was off

    def render(self) -> str:
        return (
            f"{self.inputs} inputs: {self.documents - self.failed_documents} done, "
            f"{self.skipped_inputs} skipped, {self.failed_documents} failed; "
            f"{self.render_sentences()}{self.note}"
        )


@dataclass(frozen=True)
class Loaded:
    """One input of a window: its document and the segments to translate, or why it failed."""

    source: Path
    doc: Document | None = None
    chosen: tuple[int, ...] = ()
    error: str | None = None
    foreign: str = "keep"  # what becomes of sentences not in Indonesian (--foreign)

    @property
    def texts(self) -> tuple[str, ...]:
        doc = self.doc
        return tuple(doc.segments[i].text for i in self.chosen) if doc is not None else ()


def load_inputs(
    sources: Iterable[Path], *, keep_boilerplate: bool = False, foreign: str = "keep"
) -> Iterator[Loaded]:
    """Each input read and split, in order; one that cannot be read as its error. Lazy."""
    for source in sources:
        try:
            doc = load_document(source)
        except InputError as exc:
            yield Loaded(source, error=str(exc))
        else:
            chosen = tuple(to_translate(doc, keep_boilerplate, foreign))
            yield Loaded(source, doc, chosen, foreign=foreign)


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
    segments to translate and returns the per-batch callback. A document whose translation
    fails (see :func:`~sejajar.jobs.windows.translate_each`) is an error; the others are
    written."""
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
    readable = [item for item in window if item.doc is not None]
    if not readable:
        return [item.error or "" for item in window]
    engine = translator()
    texts = [item.texts for item in readable]
    total = sum(map(len, texts))
    found = iter(translate_each(engine, texts, progress(total) if progress else None))
    signature = run_signature(splitter_id(), *engine.signature)
    results: list[ParallelDocument | str] = []
    for item in window:
        if item.doc is None:
            results.append(item.error or "")
            continue
        result = next(found)
        if isinstance(result, TranslatorError):
            results.append(f"{item.source}: cannot translate: {result}")
        else:
            chosen = dict(zip(item.chosen, result, strict=True))
            results.append(
                pair_translations(
                    item.doc, chosen, signature, item.foreign, glossary=engine.glossary
                )
            )
    return results
