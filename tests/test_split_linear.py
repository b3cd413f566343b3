"""The splitter's linear-time rewrite cuts exactly where the quadratic original did.

The original looked for the word before each period with a regex anchored at the end of the
whole text before it (quadratic); this module keeps it as the reference and checks the
rewrite against it on generated text full of periods, quotes, abbreviations and numbers.
``bench/split.py`` measures the time.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sejajar.translate.rules import EN_RULES, ID_RULES, Rules
from sejajar.translate.split import paragraphs, sentence_ends

_OLD_CANDIDATE = re.compile(r"([.!?\u2026]+)([\"'\u201d\u2019)\]]*)(\s+)")
_OLD_STARTER = re.compile(r"[\"'\u201c\u2018]*[A-Z0-9\u00c0-\u00de]")
_OLD_WORD_BEFORE = re.compile(r"([^\s\"'\u201c\u2018(\[]+)$")
_OLD_TERMINAL_CLOSERS = ".!?\u2026\"'\u201d\u2019)]:"


def old_sentence_ends(paragraph: str, rules: Rules) -> list[int]:
    protected = 0
    if rules.dateline is not None and (m := rules.dateline.match(paragraph)):
        protected = m.end()
    ends: list[int] = []
    for m in _OLD_CANDIDATE.finditer(paragraph):
        after = m.end()
        if m.start() < protected or after >= len(paragraph):
            continue
        if not _OLD_STARTER.match(paragraph, after):
            continue
        following = paragraph[after : after + 1]
        if m.group(1) == "." and not _old_may_end_after(
            paragraph[: m.start()], following, ends, rules
        ):
            continue
        ends.append(m.end(2))
    return ends


def _old_may_end_after(before: str, following: str, ends: list[int], rules: Rules) -> bool:
    word_match = _OLD_WORD_BEFORE.search(before)
    if word_match is None:
        return True
    word = word_match.group(1)
    if word.lower() in rules.never_final:
        return False
    if word.lower() in rules.before_number and following.isdigit():
        return False
    if len(word) == 1 and word.isupper():
        return False
    return not (word.isdigit() and len(word) <= 2 and not ends and not before[: -len(word)].strip())


def old_paragraphs(text: str) -> list[tuple[int, int]]:
    found = []
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
                found.append((start, end))
            start = -1
            continue
        prev = text[start:end] if start >= 0 else ""
        if prev and prev[-1] not in _OLD_TERMINAL_CLOSERS and stripped[0].islower():
            end = lend
            continue
        if start >= 0:
            found.append((start, end))
        start, end = lstart, lend
    if start >= 0:
        found.append((start, end))
    return found


# fmt: off
PIECES = [
    ".", "..", "...", "!", "?", "\u2026", " ", "  ", "\t", "\u00a0", "\n", "\n\n", '"', "'",
    "\u201c", "\u201d", "\u2019", "(", ")", "[", "]", ":", ",", "1", "12", "123", "A", "B",
    "Y", "a", "b", "dr", "Dr", "Prof", "No", "jl", "U.S", "s.h", "kata", "Budi", "AS", "Jan",
    "des", "Gbr", "A.S",
    "KONTAN.CO.ID - WASHINGTON. ", "JAKARTA, KOMPAS.com - ", "Kamis (20/10/2016)", "\u00c9",
]
# fmt: on
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=600, deadline=None)
@given(TEXT)
def test_sentence_ends_agree_with_the_original(text: str) -> None:
    for rules in (ID_RULES, EN_RULES):
        assert sentence_ends(text, rules) == old_sentence_ends(text, rules)
        stripped = text.strip()
        assert sentence_ends(stripped, rules) == old_sentence_ends(stripped, rules)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_paragraphs_agree_with_the_original(text: str) -> None:
    assert list(paragraphs(text)) == old_paragraphs(text)


def test_runs_of_terminators_cut_as_before() -> None:
    for text in [
        "...... A",
        "Ya.... Tidak. B",
        "a. .'.'. B",
        "12. Satu. Dua",
        " 1. Satu",
        "x !?!? Y",
    ]:
        assert sentence_ends(text, ID_RULES) == old_sentence_ends(text, ID_RULES)
