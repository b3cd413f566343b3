"""Files of a run: expanding inputs, planning and checking outputs, reading and splitting an
input, writing a parallel document in every format asked for."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from sejajar.align.bead_format import BeadPair, read_beads
from sejajar.core.errors import SejajarError
from sejajar.core.files import (
    STDIN,
    InputError,
    read_article,
    remove_stale_temporaries,
    shown,
    write_atomic,
)
from sejajar.core.records import Document, ParallelDocument
from sejajar.jobs.formats import PAGE, REVIEW
from sejajar.translate.rules import ID_RULES, Rules
from sejajar.translate.split import presplit_document, split_document


class JobError(SejajarError):
    """The job as a whole cannot start (outputs would collide or be overwritten, an option is
    unknown); the message is one line."""


def parse_formats(value: str, known: Iterable[str]) -> list[str]:
    """``"tsv, html"`` -> ``["tsv", "html"]``: known names, in order, each once."""
    known = list(known)
    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise JobError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}"
        )
    return list(dict.fromkeys(formats))


def check_new(paths: Iterable[Path], force: bool, resumable: bool = False) -> None:
    """Refuse to overwrite an existing output unless ``force``."""
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        resume = " or {skip_existing} to resume" if resumable else ""
        raise JobError(f"{existing[0]} exists{more}; use {{force}} to overwrite{resume}")


# Names of files sejajar writes: every page format's suffix, and the review files (exported
# from the page, and apply-review's). A folder's files with these names are outputs, not
# articles.
OUTPUT_SUFFIXES = PAGE.suffixes + REVIEW.suffixes
_OUTPUT_MARKS = (".review.", ".accepted.")


def is_output_name(name: str) -> bool:
    """Whether ``name`` is one sejajar writes (``x.align.txt``, ``x.review.jsonl``...)."""
    return name.endswith(OUTPUT_SUFFIXES) or any(mark in name for mark in _OUTPUT_MARKS)


def expand_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Files as given; a folder stands for the ``*.txt`` files below it, in sorted order, but
    for the outputs of sejajar among them (``NAME.align.txt``), which are not articles. Also
    one error line for each ``*.txt`` in a folder that is no regular file (a FIFO would block
    the run on open, a device never end): those are never opened."""
    expanded: list[Path] = []
    refused: list[str] = []
    for path in paths:
        if not path.is_dir():
            expanded.append(path)
            continue
        for found in sorted(path.rglob("*.txt")):
            if is_output_name(found.name):
                continue
            if found.is_file():
                expanded.append(found)
            elif not found.is_dir():
                refused.append(f"{shown(found)}: {_kind(found)}, not a regular file; skipped")
    return expanded, refused


def _kind(path: Path) -> str:
    """What a file that is not a regular one is."""
    mode = path.lstat().st_mode if path.exists() or path.is_symlink() else 0
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISLNK, "a broken link")):  # fmt: skip
        if test(mode):
            return name
    return "not readable"


# The most bytes a file name may have (NAME_MAX on Linux and macOS).
NAME_BYTES = 255


def check_names(sources: Sequence[Path], out_dir: Path, formats: Sequence[str]) -> None:
    """Refuse, before any work, an input whose output name the file system would refuse (too
    long): found after the translation, it cost the run and left the other outputs behind."""
    for source in sources:
        for path in output_paths(source, out_dir, formats):
            size = len(os.fsencode(path.name))
            if size > NAME_BYTES:
                raise JobError(
                    f"{shown(source)}: the output name {shown(path.name)} is {size} bytes, over "
                    f"the {NAME_BYTES} a file name may have; rename the input"
                )


def _entry(path: Path) -> Path:
    """The directory entry ``path`` names: its folder resolved, its own name kept (an atomic
    write replaces that entry, not what a link there points to)."""
    return Path(os.path.realpath(path.parent)) / path.name


def check_not_inputs(outputs: Iterable[Path], inputs: Iterable[Path]) -> None:
    """Refuse, whatever ``force``, an output that would replace an input (or the file an
    input links to)."""
    entries: dict[Path, Path] = {}
    for source in inputs:
        entries.setdefault(_entry(source), source)
        entries.setdefault(Path(os.path.realpath(source)), source)
    for output in outputs:
        replaced = entries.get(_entry(output))
        if replaced is not None:
            raise JobError(
                f"{output} would overwrite the input {replaced}; choose another {{out}} folder"
            )


def cache_clash(
    cache: Path, sources: Sequence[Path], out_dir: Path, formats: Sequence[str]
) -> str | None:
    """Why ``cache`` cannot be this run's cache file (it is one of its inputs or outputs,
    which SQLite would write into), or None."""
    entry = _entry(cache)
    for source in sources:
        if entry in (_entry(source), Path(os.path.realpath(source))):
            return f"{{cache}} {cache} is an input of this run; give another path"
        if entry in {_entry(p) for p in output_paths(source, out_dir, formats)}:
            return f"{{cache}} {cache} is an output of this run; give another path"
    return None


def output_name(source: Path) -> str:
    """``path/NAME.txt`` -> ``NAME`` (the file name minus its last suffix); standard input
    (``-``) -> ``stdin``."""
    if source == STDIN:
        return "stdin"
    return source.stem if source.suffix else source.name


def output_paths(source: Path, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    name = output_name(source)
    return [out_dir / f"{name}{file.suffix}" for file in PAGE.files(formats)]


def check_outputs(
    sources: Sequence[Path],
    out_dir: Path,
    formats: Sequence[str],
    force: bool,
    skip_existing: bool = False,
    resumable: bool = True,
    inputs: Sequence[Path] = (),
) -> list[Path]:
    """The inputs to process. Refuses before any work when two inputs would write the same
    file, when an output would replace one of ``sources`` or ``inputs`` (even with ``force``),
    or when an output exists and neither ``force`` nor ``skip_existing`` is on. With
    ``skip_existing`` an input whose outputs all exist is left out (resuming a run); one with
    only some of them (a run killed between two writes) is done again. Temporary files a killed
    run left beside the outputs are removed."""
    check_names(sources, out_dir, formats)
    owners: dict[Path, Path] = {}
    for source in sources:
        for path in output_paths(source, out_dir, formats):
            if path in owners:
                raise JobError(f"{owners[path]} and {source} would both write {path}")
            owners[path] = source
    check_not_inputs(owners, [*sources, *inputs])
    if not skip_existing:
        check_new(owners, force, resumable)
    remove_stale_temporaries(owners)
    if skip_existing:
        return [
            s for s in sources if not all(p.exists() for p in output_paths(s, out_dir, formats))
        ]
    return list(sources)


def load_document(
    source: Path, rules: Rules = ID_RULES, presplit: bool = False, nothing: str = ""
) -> Document:
    """Read and split one input (raises :class:`InputError`, an empty one's saying ``nothing``
    when given); ``presplit`` takes each line as one segment."""
    text = read_article(source, nothing) if nothing else read_article(source)
    if presplit:
        return presplit_document(output_name(source), text)
    return split_document(output_name(source), text, rules)


def write_outputs(
    doc: ParallelDocument, source: Path, out_dir: Path, formats: Sequence[str]
) -> tuple[Path, ...]:
    """Render every format first, then write each atomically: a rendering bug leaves no files."""
    renderers = [file.load() for file in PAGE.files(formats)]
    paths = output_paths(source, out_dir, formats)
    rendered = [(path, render(doc)) for path, render in zip(paths, renderers, strict=True)]
    written: list[Path] = []
    try:
        for path, text in rendered:
            write_atomic(path, text)
            written.append(path)
    except BaseException:
        for path in written:  # all of a document's outputs or none
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return tuple(path for path, _ in rendered)


def read_bead_file(path: Path) -> list[BeadPair]:
    """A bead file (Vecalign's format); :class:`InputError` names the file and the line, for a
    malformed line or a segment in two beads."""
    beads, overlaps = read_gold_file(path)
    if overlaps:
        raise InputError(overlaps[0])
    return beads


def read_gold_file(path: Path) -> tuple[list[BeadPair], list[str]]:
    """A gold bead file, and a message for each segment in two beads (naming the file and the
    line): scored as Vecalign's scorer does, bead by bead; a malformed line is an
    :class:`InputError`."""
    try:
        beads, overlaps = read_beads(read_article(path, "no beads"))
    except ValueError as exc:
        raise InputError(f"{shown(path)}: {exc}") from exc
    return beads, [f"{shown(path)}: {overlap}" for overlap in overlaps]
