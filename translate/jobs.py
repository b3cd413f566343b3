"""Running the translate job over files: input expansion, output planning, per-file outcomes.

Every failure of one input is recorded in its :class:`Outcome` and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from align.export import FORMATS
from align.records import ParallelDocument
from translate.files import InputError, read_article, write_atomic
from translate.pipeline import to_translate, translate_document
from translate.rules import ID_RULES, Rules
from translate.segments import Document
from translate.split import presplit_document, split_document
from translate.translator import Progress, Translator, TranslatorError


class JobError(Exception):
    """The job as a whole cannot start (outputs would collide or be overwritten)."""


@dataclass(frozen=True)
class Outcome:
    source: Path
    outputs: tuple[Path, ...] = ()
    error: str | None = None
    translated: int = 0


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.txt`` files below it, in sorted order."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded.extend(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        else:
            expanded.append(path)
    return expanded


def output_name(source: Path) -> str:
    """``path/NAME.txt`` -> ``NAME`` (the file name minus its last suffix)."""
    return source.stem if source.suffix else source.name


def output_paths(source: Path, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    name = output_name(source)
    return [out_dir / f"{name}{suffix}" for f in formats for suffix, _ in FORMATS[f]]


def check_outputs(
    sources: Sequence[Path],
    out_dir: Path,
    formats: Sequence[str],
    force: bool,
    skip_existing: bool = False,
) -> list[Path]:
    """The inputs to process. Refuses before any work when two inputs would write the same
    file, or when an output exists and neither ``force`` nor ``skip_existing`` is on. With
    ``skip_existing`` an input whose outputs all exist is left out (resuming a run); one with
    only some of them (a run killed between two writes) is done again."""
    owners: dict[Path, Path] = {}
    for source in sources:
        for path in output_paths(source, out_dir, formats):
            if path in owners:
                raise JobError(f"{owners[path]} and {source} would both write {path}")
            owners[path] = source
    if skip_existing:
        return [
            s for s in sources if not all(p.exists() for p in output_paths(s, out_dir, formats))
        ]
    if not force:
        existing = [p for p in owners if p.exists()]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise JobError(
                f"{existing[0]} exists{more}; use --force to overwrite or --skip-existing to resume"
            )
    return list(sources)


def load_document(source: Path, rules: Rules = ID_RULES, presplit: bool = False) -> Document:
    """Read and split one input (raises :class:`InputError`); ``presplit`` takes each line as
    one segment."""
    text = read_article(source)
    if presplit:
        return presplit_document(output_name(source), text)
    return split_document(output_name(source), text, rules)


def write_outputs(
    doc: ParallelDocument, source: Path, out_dir: Path, formats: Sequence[str]
) -> tuple[Path, ...]:
    """Render every format first, then write each atomically: a rendering bug leaves no files."""
    renderers = [render for f in formats for _, render in FORMATS[f]]
    paths = output_paths(source, out_dir, formats)
    rendered = [(path, render(doc)) for path, render in zip(paths, renderers, strict=True)]
    for path, text in rendered:
        write_atomic(path, text)
    return tuple(path for path, _ in rendered)


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
        return Outcome(source, error=f"cannot write to {out_dir}: {exc.strerror or exc}")
    return Outcome(source, outputs=outputs, translated=count)
