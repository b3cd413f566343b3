"""Split an article into paragraphs and segments (sentences, headings, boilerplate, bylines).

Pure functions over a string. Every segment keeps its character span in that string, so
``text[seg.start:seg.end]`` is the segment before whitespace folding: nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from sejajar.core.records import Document, Kind, Segment
from sejajar.core.text import fold
from sejajar.translate.rules import ID_RULES, Rules

SPLITTER_VERSION = "3"  # 3: Gbr., A.S., Jan.-Des. before a number (#27)

_TERMINAL = ".!?\u2026"
_CLOSERS = "\"'\u201d\u2019)]"
# A terminator run, closing quotes/brackets, then whitespace: a place a sentence may end.
# Tried only where a run starts: from inside a long run ("....") each try would rescan it.
_CANDIDATE = re.compile(r"(?<![.!?\u2026])([.!?\u2026]+)([\"'\u201d\u2019)\]]*)(\s+)")
# What may open the next sentence: a capital or digit, possibly behind an opening quote (not a
# bracket: "Tbk. (ASII) naik" goes on).
_STARTER = re.compile(r"[\"'\u201c\u2018]*[A-Z0-9\u00c0-\u00de]")
# Characters that end the word before a period looking back (besides whitespace).
_WORD_STOPS = "\"'\u201c\u2018(["
_HEADING_MAX_WORDS = 12
_HEADING_MAX_CHARS = 120


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each paragraph: a line, or lines soft-wrapped into one.

    A line continues the previous one when that one does not end in sentence punctuation and
    this one starts in lower case (hard-wrapped text); blank lines always separate.
    """
    start = end = -1
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        stripped = body.strip()
        lstart = pos + len(body) - len(body.lstrip())
        lend = pos + len(body.rstrip())
        pos += len(line)
        if not stripped:
            if start >= 0:
                yield start, end
            start = -1
            continue
        # The paragraph so far ends at text[end - 1] (not copied: a long wrapped paragraph
        # would cost quadratic time).
        wraps = start >= 0 and text[end - 1] not in _TERMINAL + _CLOSERS + ":"
        wraps = wraps and stripped[0].islower()
        if wraps:
            end = lend
            continue
        if start >= 0:
            yield start, end
        start, end = lstart, lend
    if start >= 0:
        yield start, end


def classify(paragraph: str, rules: Rules = ID_RULES) -> Kind | None:
    """The kind of a whole paragraph, or None when it is prose to split into sentences."""
    flat = fold(paragraph)
    if any(p.search(flat) for p in rules.byline):
        return Kind.BYLINE
    if any(p.search(flat) for p in rules.boilerplate):
        return Kind.BOILERPLATE
    words = flat.split()
    if (
        len(words) <= _HEADING_MAX_WORDS
        and len(flat) <= _HEADING_MAX_CHARS
        and flat[-1] not in _TERMINAL + _CLOSERS + ",;:"
        and (flat[0].isupper() or flat[0].isdigit())
    ):
        return Kind.HEADING
    return None


def sentence_ends(paragraph: str, rules: Rules = ID_RULES) -> list[int]:
    """Offsets in ``paragraph`` just after each sentence but the last."""
    protected = 0
    if rules.dateline is not None and (m := rules.dateline.match(paragraph)):
        protected = m.end()
    ends: list[int] = []
    # Where the text starts (after leading whitespace): a number there is an enumeration.
    first = len(paragraph) - len(paragraph.lstrip())
    for m in _CANDIDATE.finditer(paragraph):
        after = m.end()
        if m.start() < protected or after >= len(paragraph):
            continue
        if not _STARTER.match(paragraph, after):
            continue
        if m.group(1) == "." and not _may_end_after(paragraph, m.start(), first, ends, rules):
            continue
        ends.append(m.end(2))
    return ends


def _may_end_after(paragraph: str, period: int, first: int, ends: list[int], rules: Rules) -> bool:
    """Whether the single period at ``period`` can end a sentence. Looks back only over the
    word before it (to the previous whitespace, which ends the previous candidate), so the
    whole paragraph costs linear time."""
    start = period
    while (
        start > 0 and paragraph[start - 1] not in _WORD_STOPS and not paragraph[start - 1].isspace()
    ):
        start -= 1
    if start == period:
        return True
    word = paragraph[start:period]
    if word.lower() in rules.never_final:
        return False
    # The candidate's whitespace ends before the next sentence's first character.
    if word.lower() in rules.before_number and _next_visible(paragraph, period + 1).isdigit():
        return False
    if len(word) == 1 and word.isupper():  # an initial: "Suk Y. Yeol"
        return False
    # "1." opening a paragraph is an enumeration, not a sentence.
    return not (word.isdigit() and len(word) <= 2 and not ends and start <= first)


def _next_visible(text: str, start: int) -> str:
    """The first character at or after ``start`` that is not whitespace ("" at the end); the
    run skipped is a candidate's own whitespace, so the paragraph still costs linear time."""
    end = start
    while end < len(text) and text[end].isspace():
        end += 1
    return text[end : end + 1]


def split_text(text: str, rules: Rules = ID_RULES) -> list[Segment]:
    """Split a whole article into segments, in order, each with its paragraph index and span."""
    segments: list[Segment] = []
    for number, (pstart, pend) in enumerate(paragraphs(text)):
        para = text[pstart:pend]
        kind = classify(para, rules)
        if kind is not None:
            segments.append(Segment(fold(para), kind, number, pstart, pend))
            continue
        cuts = [0, *sentence_ends(para, rules), len(para)]
        for a, b in pairwise(cuts):
            piece = para[a:b]
            lead = len(piece) - len(piece.lstrip())
            start, end = pstart + a + lead, pstart + a + len(piece.rstrip())
            if end > start:
                segments.append(Segment(fold(piece), Kind.SENTENCE, number, start, end))
    return segments


def split_document(name: str, text: str, rules: Rules = ID_RULES) -> Document:
    """Build a :class:`Document` from already decoded and normalised text."""
    return Document(name=name, text=text, segments=tuple(split_text(text, rules)))


def presplit_document(name: str, text: str) -> Document:
    """One segment per non-empty line, no splitting (the format of most parallel corpora)."""
    segments = []
    pos = 0
    for number, line in enumerate(text.split("\n")):
        body = line.strip()
        if body:
            start = pos + line.index(body[0])
            segments.append(Segment(fold(body), Kind.SENTENCE, number, start, start + len(body)))
        pos += len(line) + 1
    return Document(name=name, text=text, segments=tuple(segments))


def splitter_id(rules: Rules = ID_RULES, *, presplit: bool = False) -> str:
    """How a document was cut, for the run signature: ``id-3``, or ``presplit``."""
    return "presplit" if presplit else f"{rules.name}-{SPLITTER_VERSION}"
