"""The align job: an Indonesian article and an English version of it, paired segment by
segment, with a bridge from a file, from the model, or none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sejajar.align.pipeline import align_documents
from sejajar.core.files import InputError, read_lines
from sejajar.core.records import Document, run_signature
from sejajar.jobs.files import check_outputs, load_document, write_outputs
from sejajar.translate.rules import EN_RULES, ID_RULES
from sejajar.translate.split import splitter_id
from sejajar.translate.translator import Progress, Translator

if TYPE_CHECKING:
    from sejajar.translate.glossary import Glossary

# Where the bridge comes from: a file of ready translations, a translator (called only when
# needed), or None for no bridge at all.
Bridge = Path | Callable[[], Translator] | None


def align_file(
    source: Path,
    target: Path,
    out_dir: Path,
    bridge: Bridge,
    *,
    formats: Sequence[str],
    force: bool = False,
    presplit: bool = False,
    monotone: bool = False,
    progress: Callable[[int], Progress] | None = None,
    glossary: Glossary | None = None,
) -> tuple[Path, ...]:
    """Align ``source`` with ``target`` and write the outputs; returns their paths. Raises
    :class:`InputError` or :class:`JobError`, or :class:`OSError` when writing fails.
    ``monotone`` keeps links in order (no moved blocks); with a ``glossary``, a pair whose
    English lacks a term's is flagged ``term`` (the English is a person's: nothing enforced
    the terms)."""
    from sejajar.translate.glossary import signed

    inputs = [target, *([bridge] if isinstance(bridge, Path) else [])]
    check_outputs([source], out_dir, formats, force, resumable=False, inputs=inputs)
    src = load_document(source, presplit=presplit)
    tgt = load_document(
        target, EN_RULES, presplit=presplit, nothing="no English text to align with"
    )
    splitter = (
        splitter_id(presplit=True)
        if presplit
        else f"{splitter_id(ID_RULES)}/{splitter_id(EN_RULES)}"
    )
    lines, settings = _bridge(src, source, bridge, presplit, progress)
    signature = run_signature(splitter, *signed(settings, glossary))
    doc = align_documents(src, tgt, lines, signature, monotone, glossary)
    return write_outputs(doc, source, out_dir, formats)


def _bridge(
    src: Document,
    source: Path,
    bridge: Bridge,
    presplit: bool,
    progress: Callable[[int], Progress] | None,
) -> tuple[list[str] | None, tuple[tuple[str, str], ...]]:
    """The bridge's lines and the signature settings that describe it."""
    texts = [s.text for s in src.segments]
    if bridge is None:
        return None, (("bridge", "none"),)
    if isinstance(bridge, Path):
        lines = read_lines(bridge)
        if len(lines) != len(texts):
            raise InputError(
                f"{bridge} has {len(lines)} lines but {source} has {len(texts)} segments"
                + ("" if presplit else " (with {presplit}, one per non-empty line)")
            )
        return lines, (("bridge", f"file:{bridge.name}"),)
    translator = bridge()
    callback = progress(len(texts)) if progress else None
    return [t.text for t in translator.translate(texts, callback)], translator.signature
