"""Reading glossary files into a :class:`~sejajar.translate.glossary.Glossary`: TSV, CSV and
TBX (TBX-Basic, as TBX 2008's ``martif`` or TBX v3's ``tbx``), by the file's suffix.

TSV (``.tsv``, ``.txt``) and CSV (``.csv``): one entry a line, ``source``, ``target`` and an
optional ``note`` (for reviewers); a first line ``source, target[, note]`` (any case) is a
header and skipped; blank lines and lines opening with ``#`` are skipped. TSV is split at
tabs as it is (no quoting); CSV is read by Python's ``csv`` (commas, double quotes).

TBX (``.tbx``, ``.xml``): each entry's Indonesian terms (``xml:lang`` ``id``, or the old
``in``, with any region) become the entry's first English term (``en``, any region); its
``descrip`` and ``note`` texts are the note. An entry in other languages only is skipped;
one with Indonesian and no English, or the reverse, is an error. Parsed by lxml without
entities or the network (a termbase is data, it fetches nothing).

Any problem is an :class:`~sejajar.core.files.InputError` of one line naming the file and
the line. The same Indonesian twice with another English is an error naming both lines."""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from sejajar.core.files import InputError, decode, read_input, shown
from sejajar.translate.glossary import Glossary, Term

_TEXT_SUFFIXES = {".tsv": "\t", ".txt": "\t", ".csv": ","}
_TBX_SUFFIXES = (".tbx", ".xml")
_HEADER = ("source", "target", "note")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def load_glossary(paths: Sequence[Path]) -> Glossary | None:
    """:func:`read_glossary`, read once while the files stay as they are: a command checks
    its glossary when it starts and its session (and each of the service's lanes) uses the
    same one."""
    if not paths:
        return None
    return _read_unchanged(tuple((path, _stamp(path)) for path in paths))


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        status = os.stat(path)
    except OSError:
        return (0, 0, 0)  # read_glossary says what is wrong with it
    return status.st_ino, status.st_size, status.st_mtime_ns


@functools.lru_cache(maxsize=4)
def _read_unchanged(files: tuple[tuple[Path, tuple[int, int, int]], ...]) -> Glossary | None:
    return read_glossary([path for path, _ in files])


def read_glossary(paths: Sequence[Path]) -> Glossary | None:
    """The terms of every file in ``paths`` (None for no files), in the order given."""
    if not paths:
        return None
    seen: dict[str, Term] = {}
    for path in paths:
        for term in read_terms(path):
            held = seen.get(term.source)
            if held is None:
                seen[term.source] = term
            elif held.target != term.target:
                raise InputError(
                    f"{term.origin}: {term.source!r} is {term.target!r} here but "
                    f"{held.target!r} at {held.origin}; keep one"
                )
    return Glossary(seen.values())


def read_terms(path: Path) -> list[Term]:
    """The entries of one glossary file."""
    suffix = path.suffix.lower()
    if suffix not in _TEXT_SUFFIXES and suffix not in _TBX_SUFFIXES:
        raise InputError(
            f"{shown(path)}: unknown glossary format {path.suffix or '(no suffix)'}; "
            "use .tsv, .csv or .tbx"
        )
    try:
        data = read_input(path)
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot read: {exc.strerror or exc}") from exc
    if suffix in _TBX_SUFFIXES:
        terms = list(_tbx_terms(data, path))
    else:
        terms = list(_text_terms(decode(data, path), path, _TEXT_SUFFIXES[suffix]))
    if not terms:
        raise InputError(f"{shown(path)}: no glossary entries")
    return terms


def _term(path: Path, line: int, source: str, target: str, note: str = "") -> Term:
    """An entry, its texts' white space folded; an empty side is an error."""
    source, target, note = (" ".join(s.split()) for s in (source, target, note))
    where = f"{shown(path)}: line {line}"
    if not any(c.isalnum() for c in source):
        raise InputError(f"{where}: the Indonesian term is empty (or holds no letter)")
    if not target:
        raise InputError(f"{where}: {source!r} has no English")
    return Term(source, target, note, where.replace(": line ", ":"))


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each line that is not blank or a comment."""
    if delimiter == "\t":
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, line.split("\t")
        return
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#"):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from exc


def _text_terms(text: str, path: Path, delimiter: str) -> Iterator[Term]:
    kind = "tab" if delimiter == "\t" else "comma"
    first = True
    try:
        for number, cells in _rows(text, delimiter):
            header = first and tuple(c.strip().lower() for c in cells) == _HEADER[: len(cells)]
            first = False
            if header and len(cells) >= 2:
                continue
            if len(cells) not in (2, 3):
                raise InputError(
                    f"{shown(path)}: line {number}: {len(cells)} {kind}-separated fields; "
                    "expected source, target and an optional note"
                )
            yield _term(path, number, *cells)
    except ValueError as exc:
        raise InputError(f"{shown(path)}: {exc}") from exc


def _local(tag: object) -> str:
    """An element's name without its namespace (TBX v3 has one, TBX 2008 none)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _language(lang: str | None) -> str:
    primary = (lang or "").split("-")[0].split("_")[0].lower()
    return "id" if primary == "in" else primary


def _tbx_terms(data: bytes, path: Path) -> Iterator[Term]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise InputError(f"{shown(path)}: line {line}: not well-formed XML: {exc.msg}") from exc
    if _local(root.tag) not in ("martif", "tbx"):
        raise InputError(f"{shown(path)}: line {root.sourceline}: not a TBX file (no martif/tbx)")
    for entry in root.iter():
        if _local(entry.tag) not in ("termEntry", "conceptEntry"):
            continue
        sides: dict[str, list[str]] = {}
        for section in entry:
            if _local(section.tag) not in ("langSet", "langSec"):
                continue
            words = [
                "".join(t.itertext())
                for t in section.iter()
                if _local(t.tag) == "term" and "".join(t.itertext()).strip()
            ]
            sides.setdefault(_language(section.get(_XML_LANG)), []).extend(words)
        notes = [
            " ".join("".join(n.itertext()).split())
            for n in entry.iter()
            if _local(n.tag) in ("descrip", "note")
        ]
        line = entry.sourceline or 1
        indonesian, english = sides.get("id", []), sides.get("en", [])
        if not indonesian and not english:
            continue
        if not indonesian or not english:
            missing = "English" if indonesian else "Indonesian"
            raise InputError(f"{shown(path)}: line {line}: entry without an {missing} term")
        for source in indonesian:
            yield _term(path, line, source, english[0], "; ".join(n for n in notes if n))
