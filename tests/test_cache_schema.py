"""The cache stores what is read back, nothing more: the dead ``tokens`` column is gone from new
files, and a file made by an earlier version (with the column) still opens, serves and stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sejajar.translate.cache import CachingTranslator, TranslationCache
from sejajar.translate.translator import Translation
from tests.helpers import FakeTranslator

OLD_SCHEMA = """
CREATE TABLE translations (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    hit_length_cap INTEGER NOT NULL,
    split_long INTEGER NOT NULL,
    tokens INTEGER NOT NULL
)
"""


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute("PRAGMA table_info(translations)")]


def test_new_cache_has_no_tokens_column(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = TranslationCache(path)
    CachingTranslator(FakeTranslator(), cache).translate_batch(["Harga naik."])
    cache.close()
    assert _columns(path) == ["key", "text", "hit_length_cap", "split_long"]


def test_cache_made_by_an_earlier_version_still_works(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        db.execute("INSERT INTO translations VALUES ('k1', 'old text', 1, 0, 17)")
    cache = TranslationCache(path)
    assert cache.notice is None  # not mistaken for a corrupt file
    assert cache.get_many(["k1"]) == {"k1": Translation("old text", hit_length_cap=True)}
    cache.put_many([("k2", Translation("new text", split_long=True))])
    assert cache.get_many(["k2"]) == {"k2": Translation("new text", split_long=True)}
    wrapped = CachingTranslator(FakeTranslator(), cache)
    assert wrapped.translate_batch(["Harga naik.", "Harga naik."]) == ["price naik."] * 2
    assert CachingTranslator(FakeTranslator(), cache).translate_batch(["Harga naik."]) == [
        "price naik."
    ]
    cache.close()
    assert "tokens" in _columns(path)  # left for older versions sharing the file
