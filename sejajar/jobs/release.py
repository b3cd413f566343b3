"""The export job: a corpus folder (``sejajar corpus`` output) into what MT and CAT users load:
Moses line files (``NAME.id`` / ``NAME.en``), ParaCrawl-style ``source<TAB>target<TAB>score``
TSV.gz, and TMX, filtered by confidence and flags and deduplicated.

Shards are read one record batch at a time and the outputs written as streams, so memory stays
flat whatever the corpus size, except for deduplication's set of 16-byte digests (one per
distinct pair kept).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sejajar.align.export.tmx import TMX_FOOTER, tmx_header, tmx_unit
from sejajar.align.export.tsv import clean_cell
from sejajar.core.files import InputError, atomic_file
from sejajar.core.records import FLAG_NAMES
from sejajar.jobs.files import JobError, check_new
from sejajar.jobs.formats import RELEASE
from sejajar.jobs.shards import PairRow


@dataclass(frozen=True)
class RowWriter:
    """A release file written a pair at a time: each pair's line(s), given the pair and its
    number; the file's header, given the corpus's signature, and its footer."""

    row: Callable[[PairRow, int], str]
    head: Callable[[str], str] | None = None
    foot: str = ""


def _tmx_unit(row: PairRow, number: int) -> str:
    props = [("x-doc", str(row["doc_id"]))]
    props += [("x-flag", flag) for flag in row.get("flags") or ()]
    confidence = row.get("confidence")
    if confidence is not None:
        props.append(("x-confidence", f"{confidence:.2f}"))
    return tmx_unit(number, row["source"] or "", row["target"] or "", props)


def _scored(row: PairRow, number: int) -> str:
    confidence = row.get("confidence")
    score = 1.0 if confidence is None else float(confidence)
    return f"{clean_cell(row['source'] or '')}\t{clean_cell(row['target'] or '')}\t{score:.4f}\n"


# The writers of the release formats (see :data:`sejajar.jobs.formats.RELEASE`).
MOSES_SOURCE = RowWriter(lambda row, _: clean_cell(row["source"] or "") + "\n")
MOSES_TARGET = RowWriter(lambda row, _: clean_cell(row["target"] or "") + "\n")
SCORED_TSV = RowWriter(_scored)
TMX = RowWriter(_tmx_unit, head=tmx_header, foot=TMX_FOOTER)


@dataclass(frozen=True)
class ReleaseOptions:
    name: str = "corpus"
    min_confidence: float | None = None  # aligned pairs below it are left out
    drop_flags: frozenset[str] = frozenset()  # pairs with any of these flags are left out
    dedup: bool = True  # identical (source, target) pairs are kept once
    gzip_moses: bool = False

    def __post_init__(self) -> None:
        """A flag name that is none of :data:`~sejajar.core.records.FLAG_NAMES` (a typo would
        silently drop nothing) is a :class:`JobError`."""
        unknown = sorted(self.drop_flags.difference(FLAG_NAMES))
        if unknown:
            known = ", ".join(FLAG_NAMES)
            raise JobError(f"unknown flag {', '.join(unknown)}; choose from {known}")


def parse_flags(value: str) -> frozenset[str]:
    """``"names, length-cap"`` -> ``{"names", "length-cap"}``."""
    return frozenset(f.strip() for f in value.split(",") if f.strip())


@dataclass
class ReleaseSummary:
    read: int = 0
    kept: int = 0
    filtered: int = 0
    duplicates: int = 0
    outputs: tuple[Path, ...] = ()

    def render(self) -> str:
        return (
            f"{self.read} pairs read: {self.kept} kept, {self.filtered} filtered out, "
            f"{self.duplicates} duplicates -> " + ", ".join(map(str, self.outputs))
        )


def corpus_files(corpus: Path) -> list[Path]:
    """The pair files of a corpus folder, in name order."""
    if not corpus.is_dir():
        raise InputError(f"{corpus}: not a corpus folder (the --out of sejajar corpus)")
    files = sorted(p for p in corpus.glob("*.parquet") if not p.name.startswith("."))
    if not files:
        raise InputError(f"{corpus}: no .parquet files of pairs")
    return files


def release_files(
    out_dir: Path, formats: Sequence[str], options: ReleaseOptions
) -> list[tuple[Path, RowWriter]]:
    """Each file of ``formats`` and its writer, in order."""
    files = []
    for name in formats:
        gz = ".gz" if options.gzip_moses and name == "moses" else ""
        for file in RELEASE.files([name]):
            files.append((out_dir / f"{options.name}{file.suffix}{gz}", file.load()))
    return files


def export_corpus(
    corpus: Path,
    out_dir: Path,
    formats: Sequence[str],
    options: ReleaseOptions = ReleaseOptions(),
    force: bool = False,
) -> ReleaseSummary:
    """Write the release files; each appears whole or not at all."""
    files = corpus_files(corpus)
    planned = release_files(out_dir, formats, options)
    check_new((path for path, _ in planned), force)
    summary = ReleaseSummary(outputs=tuple(path for path, _ in planned))
    with contextlib.ExitStack() as stack:
        writers = [(stack.enter_context(_writer(path)), w) for path, w in planned]
        if any(w.head for _, w in writers):
            signature = _first_signature(files)
            for handle, w in writers:
                handle.write(w.head(signature) if w.head else "")
        for row in _pairs(files, options, summary):
            for handle, w in writers:
                handle.write(w.row(row, summary.kept))
        for handle, w in writers:
            handle.write(w.foot)
    return summary


def _first_signature(files: list[Path]) -> str:
    """The run signature the corpus was made with (of its first pair), for the TMX header."""
    import pyarrow.parquet as pq

    for path in files:
        try:
            values = pq.read_table(path, columns=["signature"]).column("signature").to_pylist()
        except Exception as exc:  # pyarrow's errors: not Parquet, no such column
            raise InputError(
                f"{path}: not a sejajar pair file ({type(exc).__name__}: {exc})"
            ) from exc
        found = next((v for v in values if v), None)
        if found:
            return str(found)
    return ""


def _pairs(
    files: list[Path], options: ReleaseOptions, summary: ReleaseSummary
) -> Iterator[PairRow]:
    import pyarrow.parquet as pq

    seen: set[bytes] = set()
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
            batches = parquet.iter_batches(batch_size=4096)
            for batch in batches:
                for row in batch.to_pylist():
                    if row.get("pair", -1) < 0 or row.get("error"):
                        continue
                    summary.read += 1
                    if not _wanted(row, options):
                        summary.filtered += 1
                        continue
                    if options.dedup:
                        digest = hashlib.blake2b(
                            f"{row['source']}\t{row['target']}".encode(), digest_size=16
                        ).digest()
                        if digest in seen:
                            summary.duplicates += 1
                            continue
                        seen.add(digest)
                    summary.kept += 1
                    yield row
        except Exception as exc:  # pyarrow's errors: not Parquet, missing columns
            raise InputError(
                f"{path}: not a sejajar pair file ({type(exc).__name__}: {exc})"
            ) from exc


def _wanted(row: PairRow, options: ReleaseOptions) -> bool:
    confidence = row.get("confidence")
    floor = options.min_confidence
    if floor is not None and confidence is not None and confidence < floor:
        return False
    return not (options.drop_flags & set(row.get("flags") or ()))


@contextlib.contextmanager
def _writer(path: Path) -> Iterator[IO[str]]:
    with atomic_file(path) as raw:
        if path.name.endswith(".gz"):
            # mtime=0: the same corpus gives byte-identical files.
            with (
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
                _text(zipped) as handle,
            ):
                yield handle
        else:
            with _text(raw) as handle:
                yield handle


@contextlib.contextmanager
def _text(binary: Any) -> Iterator[IO[str]]:
    import io

    handle = io.TextIOWrapper(binary, encoding="utf-8", newline="\n", write_through=False)
    try:
        yield handle
        handle.flush()
    finally:
        handle.detach()
