"""A persistent translation cache: re-running a folder, or a file with one paragraph edited,
translates only what is new.

SQLite in WAL mode (concurrent runs wait for each other instead of failing), one transaction
per group of sentences (a crash loses at most the group in flight). Entries are keyed by the
translator's signature (model, revision, engine, beam size, length cap) and the normalised
source sentence, so changing any setting never serves a stale translation.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from sejajar.core.records import render_signature
from sejajar.translate.translator import Progress, Translation, Translator

# Sentences translated between two commits to the cache.
GROUP = 256
_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    hit_length_cap INTEGER NOT NULL,
    split_long INTEGER NOT NULL
)
"""
# Cache files made by earlier versions also have ``tokens INTEGER NOT NULL`` (an output token
# count nothing read). It is left in place and filled with 0, so such a file still opens, and
# an older sejajar sharing it keeps working.


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/sejajar/translations.sqlite`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sejajar" / "translations.sqlite"


def normalise_source(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


class TranslationCache:
    """The cache file. ``notice`` says what happened to a corrupt file set aside on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notice: str | None = None
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            path.replace(aside)
            self.notice = (
                f"cache {path} was unreadable ({exc}); moved it to {aside}, starting empty"
            )
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            # Reading the table proves the file is a database we can use.
            db.execute("SELECT count(*) FROM translations").fetchone()
            columns = [row[1] for row in db.execute("PRAGMA table_info(translations)")]
        except sqlite3.DatabaseError:
            db.close()
            raise
        self._insert = (
            "INSERT OR REPLACE INTO translations (key, text, hit_length_cap, split_long"
            + (
                ", tokens) VALUES (?, ?, ?, ?, 0)"
                if "tokens" in columns
                else ") VALUES (?, ?, ?, ?)"
            )
        )
        return db

    @staticmethod
    def key(namespace: str, text: str) -> str:
        return hashlib.sha256(f"{namespace}\x00{normalise_source(text)}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, Translation]:
        found: dict[str, Translation] = {}
        for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, text, hit_length_cap, split_long FROM translations "
                f"WHERE key IN ({marks})",
                chunk,
            )
            for key, text, cap, split in rows:
                found[key] = Translation(text, bool(cap), bool(split))
        return found

    def put_many(self, items: Sequence[tuple[str, Translation]]) -> None:
        with self.db:  # one transaction
            self.db.executemany(
                self._insert,
                [(k, t.text, int(t.hit_length_cap), int(t.split_long)) for k, t in items],
            )

    def close(self) -> None:
        self.db.close()


class CachingTranslator(Translator):
    """Wraps a translator: serves what the cache holds, translates the rest (each distinct
    sentence once) and stores it group by group. Counts what it did in ``translated`` and
    ``cached``."""

    def __init__(self, inner: Translator, cache: TranslationCache) -> None:
        self.inner = inner
        self.cache = cache
        self.max_input_tokens = inner.max_input_tokens
        self.batch_size = inner.batch_size
        self.namespace = render_signature(inner.signature)
        self.translated = 0
        self.cached = 0

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return self.inner.signature

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        return self.inner.generate(texts)

    def translate(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        keys = [self.cache.key(self.namespace, t) for t in texts]
        known = self.cache.get_many(list(dict.fromkeys(keys)))
        hits = sum(1 for k in keys if k in known)
        self.cached += hits
        if progress is not None and hits:
            progress(hits)
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        pending = list(todo.items())
        for start in range(0, len(pending), GROUP):
            group = pending[start : start + GROUP]
            results = self.inner.translate([t for _, t in group])
            pairs = [(k, r) for (k, _), r in zip(group, results, strict=True)]
            self.cache.put_many(pairs)
            known.update(pairs)
            self.translated += len(group)
            if progress is not None:
                # Duplicates of a sentence finish with it.
                done = {k for k, _ in group}
                progress(sum(1 for k in keys if k in done))
        return [known[k] for k in keys]
