"""The evaluate job: test-set files in (references, systems' outputs, or sources to translate
first), sacreBLEU scores out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sejajar.core.files import InputError, read_lines, shown
from sejajar.core.records import render_signature, run_signature
from sejajar.translate.quality import (
    DEFAULT_METRICS,
    Evaluation,
    evaluate,
    read_documents,
    translate_lines,
)
from sejajar.translate.split import splitter_id
from sejajar.translate.translator import Progress, Translator


def evaluate_files(
    ref: Path,
    hyps: Sequence[Path] = (),
    *,
    src: Path | None = None,
    translator: Callable[[], Translator] | None = None,
    system_name: str = "sejajar",
    resplit: bool = False,
    ter: bool = False,
    by_doc: Path | None = None,
    bootstrap: int = 1000,
    progress: Callable[[int], Progress] | None = None,
) -> Evaluation:
    """Score each of ``hyps`` against ``ref``; with ``src`` (and ``translator``), translate the
    source lines first and add the result as the last system, with sejajar's run signature.
    Any of the files may be :data:`~sejajar.core.files.STDIN` (one of them at most)."""
    references = read_lines(ref)
    systems = [(shown(path), read_lines(path)) for path in hyps]
    signature = None
    if src is not None and translator is not None:
        sources = read_lines(src)
        if len(sources) != len(references):
            raise InputError(
                f"{src} has {len(sources)} lines but the reference has {len(references)}"
            )
        engine = translator()
        output = translate_lines(sources, engine, resplit=resplit, progress=progress)
        signature = run_signature(
            splitter_id(), *engine.signature, resplit="yes" if resplit else "no"
        )
        systems.append((system_name, output))
    documents = read_documents(by_doc, len(references)) if by_doc else []
    return evaluate(
        systems,
        references,
        metrics=(*DEFAULT_METRICS, "TER") if ter else DEFAULT_METRICS,
        bootstrap=bootstrap,
        documents=documents,
        run_signature=render_signature(signature) if signature else None,
    )
