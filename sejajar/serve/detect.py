"""Which of the service's languages a text is in, for LibreTranslate's ``/detect`` and
``source=auto``: Indonesian or English, by the language identifier every stage shares
(:mod:`sejajar.core.language`). English comes first only where the identifier is sure the text
is English (a foreign passage); anything else is taken for Indonesian, as the translate
command takes it. A text without words gets no confidence in either."""

from __future__ import annotations

import re

from sejajar.core.language import identify, ranked

_WORDS = re.compile(r"[^\W\d_]+")


def detect(text: str) -> list[dict[str, float | str]]:
    """LibreTranslate's detections, best first: ``[{"language": "id", "confidence": 87.5},
    ...]``, confidence in percent (the identifier's probability)."""
    if not _WORDS.search(text):
        return [{"language": "id", "confidence": 0.0}, {"language": "en", "confidence": 0.0}]
    scores = dict(ranked(text))
    guess = identify(text)
    order = ["en", "id"] if guess.foreign and guess.language == "en" else ["id", "en"]
    return [
        {"language": lang, "confidence": round(100 * scores.get(lang, 0.0), 1)} for lang in order
    ]
