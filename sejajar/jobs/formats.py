"""Every output format sejajar writes, in one table: each format's name (a ``--format`` choice),
the files it writes (a suffix each) and the renderer of each file. Three kinds of output:

- :data:`PAGE`: a parallel document's files (``translate``, ``align``), rendered whole;
- :data:`REVIEW`: a review's accepted pairs (``apply-review``), rendered whole;
- :data:`RELEASE`: a corpus's release files (``export``), written a pair at a time.

Commands take their choices and their ``--format`` help from here, and a file is written by the
renderer the table gives it, never by one guessed from its name. A renderer is named by
``module:attribute`` and imported on first use, so that the command line lists the formats
without loading them."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from sejajar.align.review import Decision
    from sejajar.core.records import ParallelDocument
    from sejajar.jobs.release import RowWriter

R = TypeVar("R")


@dataclass(frozen=True)
class OutputFile(Generic[R]):
    """One file of a format: its suffix, and its renderer as ``module:attribute``."""

    suffix: str
    renderer: str

    def load(self) -> R:
        """The renderer itself."""
        module, name = self.renderer.split(":")
        return cast(R, getattr(importlib.import_module(module), name))


class Formats(Generic[R]):
    """Formats by name, each with the files it writes, in the order they are written."""

    def __init__(self, table: dict[str, tuple[OutputFile[R], ...]]) -> None:
        self.table = table

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.table)

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(file.suffix for files in self.table.values() for file in files)

    def files(self, formats: Sequence[str]) -> list[OutputFile[R]]:
        """The files of ``formats`` (known names), in order."""
        return [file for name in formats for file in self.table[name]]

    def only(self, name: str) -> OutputFile[R]:
        """The one file of format ``name`` (a format of one file)."""
        (file,) = self.table[name]
        return file

    def help(self, note: str = "") -> str:
        """The ``--format`` option's help, with ``note`` in brackets."""
        return f"Comma list: {', '.join(self.names)}{f' ({note})' if note else ''}."


def _file(suffix: str, module: str, name: str) -> tuple[OutputFile[R]]:
    return (OutputFile(suffix, f"{module}:{name}"),)


_EXPORT = "sejajar.align.export"
PAGE: Formats[Callable[[ParallelDocument], str]] = Formats(
    {
        "tsv": _file(".tsv", f"{_EXPORT}.tsv", "render_tsv"),
        "html": _file(".html", f"{_EXPORT}.html", "render_html"),
        "beads": _file(".align.txt", f"{_EXPORT}.beads", "render_links"),
        "jsonl": _file(".jsonl", f"{_EXPORT}.jsonl", "render_jsonl")
        + _file(".meta.json", f"{_EXPORT}.jsonl", "render_meta"),
        "tmx": _file(".tmx", f"{_EXPORT}.tmx", "render_tmx"),
    }
)
REVIEW: Formats[Callable[[list[Decision]], str]] = Formats(
    {
        "tsv": _file(".accepted.tsv", "sejajar.align.review", "render_accepted_tsv"),
        "tmx": _file(".accepted.tmx", "sejajar.align.review", "render_accepted_tmx"),
        "jsonl": _file(".accepted.jsonl", "sejajar.align.review", "render_accepted_jsonl"),
    }
)
# With ``--gzip``, the Moses files get ``.gz`` after their suffix.
RELEASE: Formats[RowWriter] = Formats(
    {
        "moses": _file(".id", "sejajar.jobs.release", "MOSES_SOURCE")
        + _file(".en", "sejajar.jobs.release", "MOSES_TARGET"),
        "tsv.gz": _file(".tsv.gz", "sejajar.jobs.release", "SCORED_TSV"),
        "tmx": _file(".tmx", "sejajar.jobs.release", "TMX"),
    }
)
