"""Parallel TSV: ``source<TAB>target`` per pair, UTF-8, LF, no header, no quoting."""

from __future__ import annotations

from sejajar.core.records import ParallelDocument


def clean_cell(text: str) -> str:
    """Fold every run of whitespace (tabs and newlines included) into one space: the format
    then needs no quoting and a line is always exactly one pair."""
    return " ".join(text.split())


def render_tsv(doc: ParallelDocument) -> str:
    """One line per link with text on both sides; set-aside (1-0) and added (0-1) segments
    have no pair and are left out."""
    rows = [
        f"{clean_cell(doc.source_text(link))}\t{clean_cell(doc.target_text(link))}\n"
        for link in doc.links
        if link.source and link.target
    ]
    return "".join(rows)


def parse_tsv(text: str) -> list[tuple[str, str]]:
    """Read the pairs back; a line without exactly one tab is an error naming its number."""
    pairs = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != 2:
            raise ValueError(f"line {number}: expected 2 tab-separated columns, found {len(cells)}")
        pairs.append((cells[0], cells[1]))
    return pairs
