"""The translate job: articles in, their parallel documents written in every format asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.pipeline import to_translate, translate_document
from sejajar.core.files import InputError, shown
from sejajar.jobs.files import load_document, write_outputs
from sejajar.translate.translator import Progress, Translator, TranslatorError


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
    note: str = ""  # what happened to the cache, when it was off

    def render(self) -> str:
        return (
            f"{self.inputs} inputs: {self.done} done, {self.skipped} skipped, "
            f"{self.failed} failed; {self.translated} sentences translated, "
            f"{self.cached} from the cache{self.note}"
        )


def translate_file(
    source: Path,
    out_dir: Path,
    translator: Callable[[], Translator],
    *,
    formats: Sequence[str],
    keep_boilerplate: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> Outcome:
    """Translate one input into its outputs. ``translator`` is called only when there is
    something to translate, so a bad input never costs a model load. ``progress`` receives the
    number of segments to translate and returns the per-batch callback."""
    try:
        doc = load_document(source)
    except InputError as exc:
        return Outcome(source, error=str(exc))
    engine = translator()
    count = len(to_translate(doc, keep_boilerplate))
    callback = progress(count) if progress else None
    try:
        result = translate_document(
            doc, engine, keep_boilerplate=keep_boilerplate, progress=callback
        )
    except TranslatorError as exc:  # a worker process died translating it, twice
        return Outcome(source, error=f"{source}: cannot translate: {exc}")
    try:
        outputs = write_outputs(result, source, out_dir, formats)
    except OSError as exc:
        return Outcome(
            source, error=f"{shown(source)}: cannot write to {out_dir}: {exc.strerror or exc}"
        )
    return Outcome(source, outputs=outputs, translated=count)
