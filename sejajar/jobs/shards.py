"""Corpus shards: finding them, reading their documents, and writing each shard's pairs as one
Parquet file plus a manifest, both atomically.

A shard is a Parquet or JSONL (``.jsonl``, ``.jsonl.gz``) file of documents, or a group of
``.txt`` articles from one folder (one document per file). Needs pyarrow (``sejajar[ray]``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from sejajar.core.errors import json_problem
from sejajar.core.files import InputError, atomic_file, read_article, write_atomic
from sejajar.jobs.counts import RunCounts

SHARD_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")
# .txt articles of one folder are grouped into shards of at most this many files.
TXT_SHARD_FILES = 1000
# 2: a shard's failed documents are counted as failed_documents (1: failed).
MANIFEST_VERSION = 2


@dataclass(frozen=True)
class Shard:
    """One unit of work: a data file, or up to ``TXT_SHARD_FILES`` .txt files of one folder.
    ``name`` names its outputs (``NAME.parquet``, ``NAME.manifest.json``) and is unique in a run."""

    name: str
    path: Path
    articles: tuple[Path, ...] = ()

    def fingerprint(self) -> list[list[Any]]:
        """Sizes and modification times of what the shard reads: a changed input is redone."""
        files = self.articles or (self.path,)
        return [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


@dataclass(frozen=True)
class Columns:
    """Where a document's parts are in a data file."""

    text: str = "text"
    id: str = "id"
    target: str | None = None


@dataclass(frozen=True)
class CorpusDocument:
    doc_id: str
    text: str | None
    target: str | None = None
    error: str | None = None  # why the document cannot be used (a missing text...)


@dataclass(kw_only=True)
class ShardResult(RunCounts):
    """What a shard's run did; the manifest records it. ``repeated``: sentences served from the
    actor's memory of the run."""

    shard: str
    output: str = ""
    error: str | None = None
    signature: str = ""
    node: str = ""
    fingerprint: list[list[Any]] = field(default_factory=list)
    other_languages: int = 0  # documents skipped for their language (--languages)


class PairRow(TypedDict):
    """A row of a corpus's pair files: a document's pair, or (``pair`` -1, ``error``) a
    document that failed, or (``pair`` -1, no ``error``) one skipped for its ``language``
    (``--languages``). ``language``: the document's (:mod:`sejajar.core.language`)."""

    doc_id: str
    language: str | None
    pair: int
    source: str | None
    target: str | None
    kind: str | None
    flags: list[str]
    confidence: float | None
    signature: str | None
    error: str | None


PAIR_COLUMNS = tuple(PairRow.__annotations__)


def find_shards(inputs: Iterable[Path]) -> list[Shard]:
    """Shards of the given files and folders (searched recursively), in a stable order."""
    shards: list[Shard] = []
    for root in inputs:
        if not root.exists():
            raise InputError(f"{root}: no such file or folder")
        if root.is_file():
            if not _is_shard(root) and root.suffix != ".txt":
                raise InputError(
                    f"{root}: not a shard (.parquet, .jsonl, .jsonl.gz, or .txt articles)"
                )
            shards.extend(_shards_of(root.parent, [root], base=root.parent))
            continue
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        shards.extend(_shards_of(root, files, base=root))
    names = [s.name for s in shards]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"two inputs make the same shard name {twice}; give them separately")
    return shards


def _is_shard(path: Path) -> bool:
    return path.name.endswith(SHARD_SUFFIXES)


def _shards_of(root: Path, files: Sequence[Path], base: Path) -> Iterator[Shard]:
    by_folder: dict[Path, list[Path]] = {}
    for f in files:
        if _is_shard(f):
            stem = f.name
            for suffix in SHARD_SUFFIXES:
                stem = stem.removesuffix(suffix)
            yield Shard(_name(f.parent / stem, base), f)
        elif f.suffix == ".txt":
            by_folder.setdefault(f.parent, []).append(f)
    for folder, texts in sorted(by_folder.items()):
        for start in range(0, len(texts), TXT_SHARD_FILES):
            group = tuple(texts[start : start + TXT_SHARD_FILES])
            name = _name(folder, base.parent) + f"-txt{start // TXT_SHARD_FILES:05d}"
            yield Shard(name, folder, group)


def _name(path: Path, base: Path) -> str:
    try:
        relative = path.relative_to(base)
    except ValueError:
        relative = Path(path.name)
    return "__".join(relative.parts) or path.name


def read_shard(shard: Shard, columns: Columns) -> list[CorpusDocument]:
    """The shard's documents; a document without usable text becomes one with an error."""
    if shard.articles:
        return [_article(path) for path in shard.articles]
    rows = _rows(shard.path, columns)
    documents = []
    for index, row in enumerate(rows):
        doc_id = row.get(columns.id)
        doc_id = f"{shard.name}:{index}" if doc_id is None else str(doc_id)
        text = row.get(columns.text)
        target = row.get(columns.target) if columns.target else None
        broken = _surrogate(columns.id, doc_id, columns.text, text, columns.target, target)
        if broken:  # the document fails alone, its id written as it can be
            escaped = doc_id.encode("utf-8", "backslashreplace").decode("utf-8")
            documents.append(CorpusDocument(escaped, None, error=broken))
        elif not isinstance(text, str) or not text.strip():
            documents.append(CorpusDocument(doc_id, None, error=f"no text in {columns.text!r}"))
        else:
            documents.append(
                CorpusDocument(doc_id, text, target if isinstance(target, str) else None)
            )
    return documents


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate(*fields: object) -> str | None:
    """Why a document cannot be written (a field holds half a surrogate pair, which JSON can
    escape but no UTF-8 file hold), or None; ``fields`` are (name, value) in turn."""
    for name, value in zip(fields[::2], fields[1::2], strict=True):
        found = _SURROGATE.search(value) if isinstance(value, str) else None
        if found:
            return (
                f"{name} holds a lone surrogate (U+{ord(found.group()):04X}) at character "
                f"{found.start() + 1}: not Unicode"
            )
    return None


def _article(path: Path) -> CorpusDocument:
    try:
        return CorpusDocument(path.name, read_article(path))
    except InputError as exc:
        return CorpusDocument(path.name, None, error=str(exc))


def _rows(path: Path, columns: Columns) -> list[dict[str, Any]]:
    wanted = [c for c in (columns.id, columns.text, columns.target) if c]
    try:
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            if columns.text not in schema.names:
                raise InputError(
                    f"{path}: no column {columns.text!r} (columns: {', '.join(schema.names)})"
                )
            table = pq.read_table(path, columns=[c for c in wanted if c in schema.names])
            return table.to_pylist()  # type: ignore[no-any-return]
        opener = gzip.open if path.name.endswith(".gz") else open
        rows = []
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise InputError(f"{path}: line {number}: {json_problem(exc)}") from exc
                if not isinstance(record, dict):
                    raise InputError(f"{path}: line {number}: not a JSON object")
                rows.append({c: record.get(c) for c in wanted})
        return rows
    except InputError:
        raise
    except Exception as exc:  # unreadable, bad gzip or JSON, pyarrow's errors (ArrowInvalid...)
        raise InputError(f"{path}: cannot read the shard ({type(exc).__name__}: {exc})") from exc


def manifest_path(out_dir: Path, shard: Shard) -> Path:
    return out_dir / f"{shard.name}.manifest.json"


def output_path(out_dir: Path, shard: Shard) -> Path:
    return out_dir / f"{shard.name}.parquet"


def is_done(out_dir: Path, shard: Shard) -> bool:
    """Whether a finished run of this very input is recorded: its manifest says done, names an
    output that exists, and its fingerprint matches the input now."""
    try:
        manifest = json.loads(manifest_path(out_dir, shard).read_text("utf-8"))
        return bool(
            manifest.get("status") == "done"
            and (out_dir / manifest["output"]).is_file()
            and manifest.get("fingerprint") == shard.fingerprint()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def write_shard(out_dir: Path, shard: Shard, rows: list[PairRow], result: ShardResult) -> None:
    """The shard's pairs as Parquet, then its manifest: each file whole or not at all, and the
    manifest (what a re-run trusts) only after the data it describes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=pair_schema())
    output = output_path(out_dir, shard)
    with atomic_file(output) as handle:
        pq.write_table(table, handle)
    result.output = output.name
    # The shard and its output first, where a reader looks for them; then the counts.
    head = {"version": MANIFEST_VERSION, "status": "done", "shard": shard.name, "output": ""}
    manifest = head | asdict(result)
    write_atomic(manifest_path(out_dir, shard), json.dumps(manifest, indent=1) + "\n")


def pair_schema() -> Any:
    import pyarrow as pa

    types = {"pair": pa.int32(), "flags": pa.list_(pa.string()), "confidence": pa.float64()}
    return pa.schema([(name, types.get(name, pa.string())) for name in PAIR_COLUMNS])


def shard_outputs(out_dir: Path, shards: Iterable[Shard]) -> list[Path]:
    """The files the shards' runs write: each one's pairs and manifest."""
    return [f(out_dir, s) for s in shards for f in (output_path, manifest_path)]
