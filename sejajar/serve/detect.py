"""Which of the service's languages a text is in, for LibreTranslate's ``/detect`` and
``source=auto``: Indonesian or English, by the share of each language's commonest function
words among the text's words. It tells only these two apart (the only ones the service
translates between), and says so through its confidence: a text with none of the words gets
a low one."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[^\W\d_]+")
# Words that are common in one language's running text and rare in the other's.
_FUNCTION_WORDS = {
    "id": frozenset(
        """yang dan di ke dari ini itu dengan untuk pada dalam tidak akan adalah juga oleh
        atau sudah telah karena bahwa saat kata para bisa lebih ada tersebut mereka kami
        kita saya ia dia sebagai hingga namun tetapi seperti masih belum harus agar jika
        menjadi antara secara setelah sejak tahun hari menurut bagi serta hanya sangat""".split()
    ),
    "en": frozenset(
        """the and of to in is that for on with as was by at from it be are this an which
        have has had not but or were been their they its will would said who after also
        more than about into when there can could other over new up out what his her we
        you all one year percent""".split()
    ),
}


def detect(text: str) -> list[dict[str, float | str]]:
    """LibreTranslate's detections, best first: ``[{"language": "id", "confidence": 87.5},
    ...]``, confidence in percent."""
    words = [w.lower() for w in _WORDS.findall(text)]
    hits = {lang: sum(w in known for w in words) for lang, known in _FUNCTION_WORDS.items()}
    total = sum(hits.values())
    found: list[dict[str, float | str]] = []
    for lang, count in hits.items():
        # Few words say little: the confidence grows with the evidence (half at 2 hits).
        share = count / total if total else 0.5
        weight = total / (total + 2)
        found.append({"language": lang, "confidence": round(100 * share * weight, 1)})
    found.sort(key=lambda d: (-float(d["confidence"]), d["language"] != "id"))
    return found
