"""Reading a reviewer's decisions back (the page's JSONL or TSV export) and keeping the
accepted pairs, with the reviewer's edits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sejajar.align.export.tmx import render_tmx_pairs
from sejajar.align.export.tsv import clean_cell
from sejajar.core.errors import json_problem

DECISIONS = ("accepted", "rejected", "pending")
# The first line of a TSV review: "# sejajar review<TAB>DOCUMENT<TAB>SIGNATURE".
TSV_HEADER = "# sejajar review"
_DIGEST = re.compile("[0-9a-f]{64}")
# Tabs and line ends are whitespace, folded into one space on output; every other control
# character (and a lone surrogate) has no place in a pair and would make the TSV binary.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class ReviewError(Exception):
    """A review file that cannot be read; the message names the line and the field."""


@dataclass(frozen=True)
class Decision:
    decision: str
    source: str
    target: str
    edited: bool = False
    signature: str = ""
    # The page's document digest (``document_digest``): which page the decision was made on.
    document: str = ""


def parse_review(text: str, jsonl: bool) -> list[Decision]:
    """Read a review exported by the page. Every field is checked, and every line must come
    from the same page: one document digest and signature, each pair id once and in range; a
    TSV review holds as many pairs as its header announces, and ends with a line end."""
    reader = _JsonReview() if jsonl else _TsvReview()
    decisions = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\r")  # a CRLF line end (an editor's); any other CR is refused
        if not line.strip():
            continue
        try:
            if number == len(lines) and not jsonl:
                raise ValueError("the last line has no line end: the file is cut short")
            decision = reader.read(line, number)
        except RecursionError:
            raise ReviewError(f"line {number}: nested too deeply to be a review line") from None
        except ValueError as exc:
            raise ReviewError(f"line {number}: {json_problem(exc)}") from exc
        if decision is not None:
            decisions.append(decision)
    if not reader.identified:
        raise ReviewError(
            "not a review exported by a sejajar page (no document digest): export it again"
        )
    try:
        reader.finish()
    except ValueError as exc:
        raise ReviewError(f"line {len(lines)}: {exc}") from exc
    return decisions


def checked_text(record: dict[str, Any], field: str) -> str:
    """``record[field]``: a string with no control character and no lone surrogate (a
    :class:`ValueError` naming the field otherwise). The team review's store checks with it."""
    value = record[field] if field in record else _missing(field)
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, not {_shown(value)}")
    bad = _CONTROL.search(value)
    if bad:
        code = ord(bad.group())
        what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "the control character"
        raise ValueError(f"{field} holds {what} U+{code:04X}")
    return value


def _integer(record: dict[str, Any], field: str) -> int:
    value = record[field] if field in record else _missing(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field} must be a whole number >= 0, not {_shown(value)}")
    return value


def _missing(field: str) -> NoReturn:
    raise ValueError(f"missing field {field!r}")


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _decision(value: str) -> str:
    if value not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {value!r}")
    return value


def _pair_text(decision: str, source: str, target: str) -> None:
    if decision == "accepted" and not (source.strip() and target.strip()):
        side = "target" if source.strip() else "source"
        raise ValueError(f"{side} is empty in an accepted pair: reject it or edit it on the page")


def _digest(value: str) -> str:
    if not _DIGEST.fullmatch(value):
        raise ValueError(f"document must be a sejajar page's digest (64 hex digits), not {value!r}")
    return value


class _Identity:
    """The page the first line came from; every later line must name the same one."""

    def __init__(self) -> None:
        self.first: tuple[str, str] | None = None
        self.first_line = 0
        self.ids: dict[int, int] = {}
        self.links: int | None = None

    def finish(self) -> None:
        """Checks of the file as a whole, once every line is read."""

    def check_id(self, pair: int, links: int, number: int) -> None:
        if self.links is None:
            self.links = links
        elif links != self.links:
            raise ValueError(f"links is {links}, the first line says {self.links}")
        if pair >= links:
            raise ValueError(f"id {pair} is out of range: the page has {links} links")
        if pair in self.ids:
            raise ValueError(f"id {pair} is on line {self.ids[pair]} too")
        self.ids[pair] = number

    @property
    def identified(self) -> bool:
        return self.first is not None

    def check(self, document: str, signature: str, number: int) -> None:
        if self.first is None:
            self.first, self.first_line = (document, signature), number
        elif document != self.first[0]:
            raise ValueError(
                f"document differs from line {self.first_line}'s: a review of another page"
            )
        elif signature != self.first[1]:
            raise ValueError(
                f"signature differs from line {self.first_line}'s: a review of another run"
            )


class _JsonReview(_Identity):
    """One object per line, as the page's JSONL export writes it."""

    def read(self, line: str, number: int) -> Decision:
        record = json.loads(line, object_pairs_hook=_unique_fields, parse_constant=_no_constant)
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, found {type(record).__name__}")
        decision = _decision(checked_text(record, "decision"))
        source, target = checked_text(record, "source"), checked_text(record, "target")
        original = checked_text(record, "original_target")
        edited = record["edited"] if "edited" in record else _missing("edited")
        if not isinstance(edited, bool):
            raise ValueError(f"edited must be true or false, not {_shown(edited)}")
        if edited and decision != "accepted":
            raise ValueError(f"edited is true but the pair is {decision}")
        if not edited and target != original:
            raise ValueError("target differs from original_target but edited is false")
        _pair_text(decision, source, target)
        self.check(
            _digest(checked_text(record, "document")), checked_text(record, "signature"), number
        )
        self.check_id(_integer(record, "id"), _integer(record, "links"), number)
        return Decision(decision, source, target, edited, record["signature"], record["document"])


class _TsvReview(_Identity):
    """The header line (``# sejajar review``, document digest, signature, the page's links and
    the number of pairs that follow), then ``decision<TAB>source<TAB>target<TAB>id<TAB>page``
    per pair, ``page`` the digest's first 12 digits."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs = 0  # announced by the header
        self.seen = 0

    def read(self, line: str, number: int) -> Decision | None:
        cells = line.split("\t")
        if self.first is None:
            self._header(cells, number)
            return None
        if len(cells) != 5:
            raise ValueError(
                f"expected decision, source, target, id and page, found {len(cells)} columns"
            )
        self.seen += 1
        if self.seen > self.pairs:
            raise ValueError(f"the header announces {self.pairs} pairs, the file holds more")
        record = dict(zip(("decision", "source", "target", "id", "page"), cells, strict=True))
        decision = _decision(checked_text(record, "decision"))
        source, target = checked_text(record, "source"), checked_text(record, "target")
        _pair_text(decision, source, target)
        assert self.first is not None and self.links is not None
        page = checked_text(record, "page")
        if page != self.first[0][:12]:
            raise ValueError(
                f"page {page} is not the header's {self.first[0][:12]}: a line of another page"
            )
        self.check_id(_integer(_whole(record, "id"), "id"), self.links, number)
        return Decision(decision, source, target, False, self.first[1], self.first[0])

    def _header(self, cells: list[str], number: int) -> None:
        if cells[0] == TSV_HEADER and len(cells) == 3:
            raise ValueError(
                "a TSV review without pair ids (exported by an older page): export JSONL from "
                "the page, or make the page again with this sejajar"
            )
        if cells[0] != TSV_HEADER or len(cells) != 5:
            raise ValueError(
                f"expected the header {TSV_HEADER!r}, document, signature, links and pairs: "
                "export the review again from the page"
            )
        record = dict(zip(("document", "signature", "links", "pairs"), cells[1:], strict=True))
        self.check(
            _digest(checked_text(record, "document")), checked_text(record, "signature"), number
        )
        self.links = _integer(_whole(record, "links"), "links")
        self.pairs = _integer(_whole(record, "pairs"), "pairs")

    def finish(self) -> None:
        if self.seen < self.pairs:
            raise ValueError(
                f"the header announces {self.pairs} pairs, the file holds {self.seen}: "
                "it is cut short"
            )


_WHOLE = re.compile("[0-9]{1,18}")


def _whole(record: dict[str, Any], field: str) -> dict[str, Any]:
    """``record`` with the TSV cell ``field`` read as a whole number where it is one."""
    value = record[field]
    return {**record, field: int(value) if _WHOLE.fullmatch(value) else value}


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen = [key for key, _ in pairs]
        twice = next(key for key in seen if seen.count(key) > 1)
        raise ValueError(f"field {twice!r} appears twice")
    return record


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


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


def render_accepted_jsonl(decisions: list[Decision]) -> str:
    """One object per accepted pair: its texts, whether the English was edited, the run."""
    return "".join(
        json.dumps(
            {"source": d.source, "target": d.target, "review": "edited" if d.edited else "accepted",
             "signature": d.signature},
            ensure_ascii=False,
        ) + "\n"
        for d in decisions
        if d.decision == "accepted"
    )  # fmt: skip


def render_accepted_tmx(decisions: list[Decision]) -> str:
    pairs = [
        (d.source, d.target, [("x-review", "edited" if d.edited else "accepted")])
        for d in decisions
        if d.decision == "accepted"
    ]
    signature = next((d.signature for d in decisions if d.signature), "")
    return render_tmx_pairs(pairs, signature)
