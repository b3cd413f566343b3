"""The records every stage passes on (frozen dataclasses): a document and its segments, and
a parallel document with the links that pair its segments."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class Kind(str, Enum):
    """What a segment is; decides whether it is translated and how it is shown."""

    SENTENCE = "sentence"
    HEADING = "heading"
    BOILERPLATE = "boilerplate"
    BYLINE = "byline"
    FOREIGN = "foreign"  # a sentence not in Indonesian (see sejajar.core.language)

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


Signature = tuple[tuple[str, str], ...]


# Every flag a link may carry (what each means: docs/outputs.md); ``export --drop-flag`` takes
# these names.
FLAG_NAMES = (
    "length-ratio",
    "number-mismatch",
    "untranslated",
    "repetition",
    "names",
    "length-cap",
    "split-long",
    "non-1-1",
    "low-confidence",
    "moved",
    "foreign",
    "term",
)


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at, with a short reason; ``name`` one of
    :data:`FLAG_NAMES`."""

    name: str
    reason: str

    def __post_init__(self) -> None:
        if self.name not in FLAG_NAMES:
            raise ValueError(f"unknown flag {self.name!r}: add it to FLAG_NAMES")


@dataclass(frozen=True)
class Link:
    """Source segment ids paired with target segment ids (1-1, 1-2, 2-1, 1-0, 0-1...).

    ``score`` is the aligner's confidence in [0, 1]; None where the pairing is certain by
    construction (a segment and its own machine translation). ``moved``: the link is out of
    order (a moved block), its target lying before or after where the source order puts it.
    """

    source: tuple[int, ...]
    target: tuple[int, ...]
    score: float | None = None
    flags: tuple[Flag, ...] = ()
    moved: bool = False


@dataclass(frozen=True)
class ParallelDocument:
    name: str
    source: tuple[Segment, ...]
    target: tuple[Segment, ...]
    links: tuple[Link, ...]
    signature: Signature

    def source_text(self, link: Link) -> str:
        return " ".join(self.source[i].text for i in link.source)

    def target_text(self, link: Link) -> str:
        return " ".join(self.target[i].text for i in link.target)

    def kind(self, link: Link) -> Kind:
        """The kind of the link's first source segment (its target's when it has none)."""
        side = self.source[link.source[0]] if link.source else self.target[link.target[0]]
        return side.kind

    @cached_property
    def has_moved(self) -> bool:
        return any(link.moved for link in self.links)

    def paragraph(self, link: Link) -> int:
        side = self.source[link.source[0]] if link.source else self.target[link.target[0]]
        return side.paragraph


def render_signature(signature: Signature) -> str:
    """``key:value|key:value``, sacreBLEU style: every setting behind an output."""
    return "|".join(f"{k}:{v}" for k, v in signature)


def run_signature(splitter: str, *settings: tuple[str, str], **extra: str) -> Signature:
    """The one signature builder: sejajar's version, the splitter, then the settings of what
    made the output (a translator's :attr:`signature`, the aligner, a bridge) in that order."""
    from sejajar import __version__

    return (("sejajar", __version__), ("splitter", splitter), *settings, *extra.items())
