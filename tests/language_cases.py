"""Real sentences by language, for the language identifier's tests and ``bench/langid.py``:
Indonesian and English from ``../shared/data`` (TICO-19 and Tatoeba, every line), Malay and
Javanese from Tatoeba (``tests/data/langid``), and the sentences of the sample articles."""

from __future__ import annotations

from pathlib import Path

from sejajar.translate.split import split_document
from tests.helpers import SHARED_DATA, require_shared
from tests.modelfactory import ROOT

LANGID_DATA = ROOT / "tests" / "data" / "langid"
SAMPLES = sorted((ROOT / "texts").glob("*.id.txt"))


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]


def mixed_set() -> dict[str, list[str]]:
    """Sentences by language code: ``id``, ``en`` (TICO-19 and Tatoeba test sets), ``ms``,
    ``jv`` (Tatoeba)."""
    require_shared("../shared/data", SHARED_DATA)
    found: dict[str, list[str]] = {}
    for lang in ("id", "en"):
        found[lang] = _lines(SHARED_DATA / "tico19" / f"tico19-test.{lang}") + _lines(
            SHARED_DATA / "tatoeba" / f"tatoeba-test.{lang}"
        )
    for lang in ("ms", "jv"):
        found[lang] = _lines(LANGID_DATA / f"tatoeba.{lang}")
    return found


def sample_sentences() -> list[str]:
    """Every segment the splitter cuts from the sample articles (all Indonesian)."""
    return [s.text for f in SAMPLES for s in split_document(f.name, f.read_text("utf-8")).segments]


def foreign_share(sentences: list[str]) -> float:
    from sejajar.core.language import is_foreign

    return sum(map(is_foreign, sentences)) / len(sentences)


def accuracy(found: dict[str, list[str]]) -> float:
    """Indonesian against not: Indonesian sentences not foreign, the others foreign, over
    Indonesian and English."""
    right = (1 - foreign_share(found["id"])) * len(found["id"])
    right += foreign_share(found["en"]) * len(found["en"])
    return right / (len(found["id"]) + len(found["en"]))
