"""Required terms key the run's memory and the translation cache: the same text with other
terms is another sentence, a text without terms keeps the key it always had, and a stored
translation's missing terms are read from its text."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sejajar.translate.cache import CachingTranslator, TranslationCache, normalise_source
from sejajar.translate.dedup import DedupTranslator
from sejajar.translate.translator import Translation
from tests.helpers import FakeTranslator


def sent(fake: FakeTranslator) -> int:
    return sum(len(b) for b in fake.batches)


def test_memory_keys_on_terms() -> None:
    inner = FakeTranslator()
    memo = DedupTranslator(inner)
    texts = ["Harga beras naik.", "Harga beras naik.", "Harga  beras naik."]
    got = memo.translate(texts, terms=[["price", "rice"], [], ["price", "rice"]])
    assert sent(inner) == 2  # with the terms once (the fold is the same), without once
    assert got[0] == got[2] and got[0].missing_terms == ("rice",)  # the fake cannot place it
    assert got[1] == Translation("price beras naik.")
    memo.translate(texts[:1], terms=[["price", "rice"]])
    memo.translate(texts[:1])
    assert sent(inner) == 2 and memo.repeats == 3


def test_cache_keys_on_terms(tmp_path: Path) -> None:
    namespace, text = "sig", "Harga beras naik."
    plain = hashlib.sha256(f"{namespace}\x00{normalise_source(text)}".encode()).hexdigest()
    assert TranslationCache.key(namespace, text) == plain  # the key it always had
    assert TranslationCache.key(namespace, text, ["rice"]) != plain
    assert TranslationCache.key(namespace, text, ["rice"]) != TranslationCache.key(
        namespace, text, ["price"]
    )
    inner = FakeTranslator()
    cache = TranslationCache(tmp_path / "c.sqlite")
    try:
        caching = CachingTranslator(inner, cache)
        first = caching.translate([text], terms=[["price", "rice"]])
        again = caching.translate([text], terms=[["price", "rice"]])
        assert first == again and first[0].missing_terms == ("rice",)
        assert caching.cached == 1 and sent(inner) == 1
        caching.translate([text])  # without terms: another entry
        assert sent(inner) == 2
    finally:
        cache.close()
