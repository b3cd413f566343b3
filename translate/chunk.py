"""Cut a sentence too long for the model into pieces that fit, at the best clause boundary.

Nothing is ever dropped: joining the pieces with single spaces gives the sentence back
(whitespace folded).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sejajar.core.text import fold

# Boundaries in order of preference; each match is a place just *after* which a piece may end.
_BOUNDARIES = [
    re.compile(r"[;:]\s"),
    re.compile(
        r",\s(?=(?:yang|dan|tetapi|namun|sedangkan|sehingga|karena|serta|atau|"
        r"which|and|but|while|because)\b)"
    ),
    re.compile(r"[\"\u201d]\s|\s(?=[\"\u201c])"),
    re.compile(r",\s"),
    re.compile(r"\s"),
]


def split_to_fit(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` into pieces for which ``fits`` is true, preferring clause boundaries
    near the middle so pieces are balanced. A piece with no whitespace at all is cut by
    characters as the last resort."""
    text = fold(text)
    if fits(text) or len(text) <= 1:
        return [text]
    cut = _best_cut(text)
    left, right = text[:cut].strip(), text[cut:].strip()
    return split_to_fit(left, fits) + split_to_fit(right, fits)


def _best_cut(text: str) -> int:
    middle = len(text) / 2
    for pattern in _BOUNDARIES:
        cuts = [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]
        # A boundary in the outer fifths would leave a piece nearly as long as the sentence.
        usable = [c for c in cuts if len(text) / 5 <= c <= 4 * len(text) / 5] or (
            cuts if pattern.pattern == r"\s" else []
        )
        if usable:
            return min(usable, key=lambda c: abs(c - middle))
    return len(text) // 2
