"""Which language a sentence or a document is in: the one identifier every stage uses (foreign
passages, the ``untranslated`` flag, the corpus's document language, the service's ``/detect``).

py3langid (a maintained fork of langid.py: a naive Bayes model over byte n-grams, shipped in
the package, pure Python over NumPy; no download at run time) ranks the languages Indonesian
news quotes. Why this library and these thresholds: docs/languages.md, measured by
``bench/langid.py`` and ``tests/test_language.py``.

Malay counts as Indonesian: the two are standard forms of one language, no library tells them
apart on short sentences (py3langid calls 12% of Indonesian test sentences Malay), and the
Indonesian model reads Malay. A sentence is foreign only when the identifier is sure: its
best language is another one *and* Indonesian-or-Malay has under :data:`UNSURE` of the
probability; a sentence of fewer than :data:`MIN_WORDS` words is always Indonesian (a name,
a number, a one-word exclamation)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

IDENTIFIER = "py3langid"
# The languages the identifier chooses among: Indonesian and Malay, and those an Indonesian
# news article quotes or names (English first). Fewer classes keep short English sentences
# from scattering their probability over unrelated languages.
LANGUAGES = (
    "id", "ms", "en", "jv", "ar", "nl", "zh", "ja", "ko", "fr", "de", "es", "pt", "it", "ru",
    "tl", "vi", "th",
)  # fmt: skip
INDONESIAN = frozenset({"id", "ms"})
# Foreign only when Indonesian-or-Malay gets less than this share of the probability.
UNSURE = 0.05
MIN_WORDS = 2
READS_AS = 0.6
_WORDS = re.compile(r"[^\W\d_]{2,}")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


@dataclass(frozen=True)
class Guess:
    """The identifier's answer for one text: its best language (``id`` for Indonesian or
    Malay), the probability it is Indonesian or Malay, and whether it is foreign."""

    language: str
    indonesian: float
    foreign: bool


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    found = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    found.set_languages(LANGUAGES)
    return found


def load() -> None:
    """Load the identifier's model now (about a second) rather than on the first sentence: a
    service calls it at start-up, so its first request's deadline does not pay for it."""
    _identifier()


def ranked(text: str) -> list[tuple[str, float]]:
    """Every language of :data:`LANGUAGES` with its probability, best first, Malay merged
    into Indonesian (``id``)."""
    merged: dict[str, float] = {}
    for lang, p in _identifier().rank(text):
        key = "id" if lang in INDONESIAN else str(lang)
        merged[key] = merged.get(key, 0.0) + float(p)
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0] != "id"))


def identify(text: str) -> Guess:
    """The language of one sentence (or a longer text); see :func:`_sentence`."""
    return _sentence(text) if len(text) <= _CACHED_CHARS else _sentence.__wrapped__(text)


# A run asks twice per sentence (what to send, how to pair), a window of documents apart:
# recent sentences are cached (at most 4096 of 2000 characters, 8 MB), long texts (a whole
# article sent to the service's /detect) are not kept.
_CACHED_CHARS = 2000


@lru_cache(maxsize=4096)
def _sentence(text: str) -> Guess:
    """The language of one sentence; foreign only when sure (see the module's docstring).
    A quotation with words around it (``"We are ready," kata Yoon.``) is in the language of
    those words: an English quote that an Indonesian sentence attributes stays Indonesian."""
    around = _QUOTED.sub(" ", text)
    if around != text and _WORDS.search(around):
        guess = _identify(around)
        return guess if guess.foreign else Guess("id", guess.indonesian, False)
    return _identify(text)


def _identify(text: str) -> Guess:
    if len(_WORDS.findall(text)) < MIN_WORDS:
        return Guess("id", 1.0, False)
    scores = ranked(text)
    best = scores[0][0]
    indonesian = dict(scores).get("id", 0.0)
    foreign = best != "id" and indonesian < UNSURE
    return Guess(best if foreign else "id", indonesian, foreign)


def is_foreign(text: str) -> bool:
    return identify(text).foreign


def reads_as_indonesian(text: str) -> bool:
    """An English text that still reads as Indonesian, for the ``untranslated`` flag: of three
    words or more, Indonesian its best language at over :data:`READS_AS` (half-translated
    output still reads so; on 12,778 English sentences of the shared test sets, human and
    machine made, one is taken for Indonesian: "Malaysia borders Indonesia.")."""
    if len(_WORDS.findall(text)) < 3:
        return False
    best, p = ranked(text)[0]
    return best == "id" and p > READS_AS


def document_language(sentences: list[str]) -> str:
    """A document's language: Indonesian unless most of its letters are in sure foreign
    sentences, then the language with most letters among them."""
    letters: dict[str, int] = {}
    for sentence in sentences:
        guess = identify(sentence)
        letters[guess.language] = letters.get(guess.language, 0) + len(sentence)
    total = sum(letters.values())
    if not total or letters.get("id", 0) * 2 >= total:
        return "id"
    return max((n, lang) for lang, n in letters.items() if lang != "id")[1]
