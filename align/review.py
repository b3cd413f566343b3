"""Reading a reviewer's decisions back (the page's JSONL or TSV export) and keeping the
accepted pairs, with the reviewer's edits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.export.tmx import render_tmx_pairs
from sejajar.align.export.tsv import clean_cell

DECISIONS = ("accepted", "rejected", "pending")


class ReviewError(Exception):
    """A review file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class Decision:
    decision: str
    source: str
    target: str
    edited: bool = False
    signature: str = ""


def parse_review(text: str, jsonl: bool) -> list[Decision]:
    decisions = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            decisions.append(_from_json(line) if jsonl else _from_tsv(line))
        except KeyError as exc:
            raise ReviewError(f"line {number}: missing field {exc}") from exc
        except (ValueError, TypeError) as exc:
            raise ReviewError(f"line {number}: {exc}") from exc
    return decisions


def _from_json(line: str) -> Decision:
    record = json.loads(line)
    decision = _checked(record["decision"])
    return Decision(
        decision,
        str(record["source"]),
        str(record["target"]),
        bool(record.get("edited", False)),
        str(record.get("signature", "")),
    )


def _from_tsv(line: str) -> Decision:
    cells = line.split("\t")
    if len(cells) != 3:
        raise ValueError(f"expected decision, source and target, found {len(cells)} columns")
    return Decision(_checked(cells[0]), cells[1], cells[2])


def _checked(value: object) -> str:
    if value not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {value!r}")
    return str(value)


def review_name(path: Path) -> str:
    """``kontan.review.jsonl`` -> ``kontan``."""
    name = path.name
    for suffix in (".review.jsonl", ".review.tsv", ".jsonl", ".tsv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def render_accepted_tsv(decisions: list[Decision]) -> str:
    return "".join(
        f"{clean_cell(d.source)}\t{clean_cell(d.target)}\n"
        for d in decisions
        if d.decision == "accepted"
    )


def render_accepted_tmx(decisions: list[Decision]) -> str:
    pairs = [
        (d.source, d.target, [("x-review", "edited" if d.edited else "accepted")])
        for d in decisions
        if d.decision == "accepted"
    ]
    signature = next((d.signature for d in decisions if d.signature), "")
    return render_tmx_pairs(pairs, signature)
