"""One number reader for the aligner's anchors and the number-mismatch flag.

Indonesian writes ``1.500.000``, ``3,5`` and ``14.30`` (a time); English ``1,500,000``,
``3.5`` and ``14:30`` or ``2:30 p.m.``. Every number in a text is read into canonical values:
``1500000``, ``3.5`` (thousands separators dropped, decimal point a dot, scale words such as
``juta``/``million`` applied), ``date:2023-04-26`` and ``time:14:30``. A token that fits both
conventions (``1.500``: 1500 in Indonesian, 1.5 in English) keeps both readings in
:attr:`Number.values`, so a translation that copies the Indonesian form is not a mismatch;
:attr:`Number.value` is the reading under the text's own language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sejajar.core.lexicon import MONTH_NUMBER

Language = Literal["id", "en"]

_SCALE = {
    "ribu": 3,
    "thousand": 3,
    "juta": 6,
    "million": 6,
    "miliar": 9,
    "milyar": 9,
    "billion": 9,
    "triliun": 12,
    "trillion": 12,
}
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+([A-Za-z]+)\.?,?\s+(\d{{4}})\b")
_DATE_MONTH_DAY = re.compile(rf"\b([A-Za-z]+)\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})\b")
_TIME_ID = re.compile(
    r"\b(\d{1,2})[.:](\d{2})\s*(?:WIB|WITA|WIT)\b|\bpukul\s+(\d{1,2})[.:](\d{2})\b", re.I
)
# "8: 00 a.m." too: machine translation sometimes spaces the colon.
_TIME_EN = re.compile(
    r"\b(\d{1,2})(?::\s?(\d{2}))?\s*([ap])\.?m\b\.?|\b(\d{1,2}):\s?(\d{2})\b", re.I
)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_SCALE_AFTER = re.compile(
    r"\s*(ribu|juta|miliar|milyar|triliun|thousand|million|billion|trillion)\b", re.I
)
_ID_FORM = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_EN_FORM = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
# In Indonesian a bare 14.30 is a time: the decimal mark is a comma, and a thousands group
# has three digits.
_ID_BARE_TIME = re.compile(r"(\d{1,2})\.(\d{2})")


@dataclass(frozen=True)
class Number:
    """One number of a text: where it is, every reading of it, and the reading under the
    text's language (a member of ``values``)."""

    start: int
    end: int
    values: frozenset[str]
    value: str

    def shown(self) -> str:
        """How a reviewer reads it: the lowest plain reading (``14.30`` shows as 14.3, as
        written), else the date or time."""
        plain = [v for v in self.values if ":" not in v]
        return min(plain) if plain else self.value.split(":", 1)[1]


def _canonical(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _reading(token: str, form: re.Pattern[str], decimal: str, group: str) -> Decimal | None:
    if not form.fullmatch(token):
        return None
    return Decimal(token.replace(group, "").replace(decimal, "."))


def read_numbers(text: str, language: Language) -> list[Number]:
    """Every number in ``text``: dates and times first (their digits are not counted
    again), then the remaining number tokens with a scale word after them applied. A token
    with no reading under either convention (``1.2.3``) is left out."""
    found: list[Number] = []
    if not _DIGIT.search(text):
        return found
    taken = bytearray(len(text))  # 1 where a date or time was read

    def free(m: re.Match[str]) -> bool:
        return taken.find(1, m.start(), m.end()) < 0

    def claim(m: re.Match[str], value: str) -> None:
        found.append(Number(m.start(), m.end(), frozenset({value}), value))
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())

    for m in _DATE_NUMERIC.finditer(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        if 1 <= month <= 12 and 1 <= day <= 31:
            claim(m, f"date:{year:04d}-{month:02d}-{day:02d}")
    for pattern, order in ((_DATE_DAY_MONTH, (1, 2)), (_DATE_MONTH_DAY, (2, 1))):
        for m in pattern.finditer(text):
            if not free(m):
                continue
            day_text, month_text = m[order[0]], m[order[1]]
            named = MONTH_NUMBER.get(month_text.lower())
            if named:
                claim(m, f"date:{int(m[3]):04d}-{named:02d}-{int(day_text):02d}")
    for m in _TIME_ID.finditer(text):
        hour, minute = (m[1], m[2]) if m[1] else (m[3], m[4])
        claim(m, f"time:{int(hour):02d}:{minute}")
    for m in _TIME_EN.finditer(text):
        if not free(m):
            continue
        if m[3]:
            hour = int(m[1]) % 12 + (12 if m[3].lower() == "p" else 0)
            claim(m, f"time:{hour:02d}:{m[2] or '00'}")
        else:
            claim(m, f"time:{int(m[4]):02d}:{m[5]}")
    for m in _NUMBER.finditer(text):
        if not free(m):
            continue
        scale = _SCALE_AFTER.match(text, m.end())
        factor = Decimal(10) ** _SCALE[scale[1].lower()] if scale else Decimal(1)
        indonesian = _reading(m[0], _ID_FORM, ",", ".")
        english = _reading(m[0], _EN_FORM, ".", ",")
        readings = {
            lang: _canonical(v * factor)
            for lang, v in (("id", indonesian), ("en", english))
            if v is not None
        }
        if not readings:
            continue
        values = set(readings.values())
        value = readings.get(language) or next(iter(readings.values()))
        bare = _ID_BARE_TIME.fullmatch(m[0]) if language == "id" and not scale else None
        if bare and int(bare[1]) <= 24 and int(bare[2]) <= 59:
            value = f"time:{int(bare[1]):02d}:{bare[2]}"
            values.add(value)
        found.append(Number(m.start(), m.end(), frozenset(values), value))
    return found
