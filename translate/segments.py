"""The data every stage passes on: a document and its segments (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a segment is; decides whether it is translated and how it is shown."""

    SENTENCE = "sentence"
    HEADING = "heading"
    BOILERPLATE = "boilerplate"
    BYLINE = "byline"

    @property
    def translated_by_default(self) -> bool:
        return self in (Kind.SENTENCE, Kind.HEADING)


@dataclass(frozen=True)
class Segment:
    """One unit of text.

    ``start``/``end`` index the document text the segment was cut from (``text`` is that slice
    with inner whitespace folded), so every segment can be traced back; a segment that was
    generated (a translation) has no span and both are -1.
    """

    text: str
    kind: Kind
    paragraph: int
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Document:
    """A read and split article: its (normalised) text and its segments in order."""

    name: str
    text: str
    segments: tuple[Segment, ...]
