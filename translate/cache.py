"""A persistent translation cache: re-running a folder, or a file with one paragraph edited,
translates only what is new.

SQLite in WAL mode (concurrent runs wait for each other instead of failing), one transaction
per group of sentences (a crash loses at most the group in flight). Entries are keyed by the
translator's signature (model, revision, engine, beam size, length cap), the normalised
source sentence and the target terms it must hold (none: the key it always had), so changing
any setting never serves a stale translation.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from sejajar.core.folders import user_cache_folder
from sejajar.core.records import render_signature
from sejajar.core.text import fold
from sejajar.translate.required import missing
from sejajar.translate.translator import (
    Progress,
    Terms,
    Translation,
    Translator,
    TranslatorError,
    WrappingTranslator,
)

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
    """``translations.sqlite`` in the user cache folder (see :func:`user_cache_folder`)."""
    return user_cache_folder() / "translations.sqlite"


def normalise_source(text: str) -> str:
    return unicodedata.normalize("NFC", fold(text))


class CacheUnavailable(TranslatorError):
    """The cache cannot be used (locked too long, read-only, disk full, another program's
    database, a folder): the run goes on without it. The message says why. A cache file the
    user names that is a folder is refused at once, as any setting that cannot work (see
    :func:`refuse_unusable`)."""


# The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def refuse_unusable(path: Path) -> None:
    """Raise :class:`CacheUnavailable` when ``path``, the cache file, is a folder, lies in a
    "folder" that is a file, or is a file that is no SQLite database (an article, an output:
    never renamed, never written over): the check that the session, the cache and the command
    line all make, before anything is written."""
    if path.is_dir():
        raise CacheUnavailable(f"{{cache}} {path} is a folder; give the path of a file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CacheUnavailable(
                    f"{{cache}} {path}: {parent} is a file, not a folder; give another path"
                )
            break
    try:
        with path.open("rb") as handle:
            start = handle.read(len(SQLITE_HEADER))
    except OSError:
        return  # no file yet (or unreadable: SQLite says why, and the run goes on uncached)
    if start and start != SQLITE_HEADER:
        raise CacheUnavailable(
            f"{{cache}} {path} is not an SQLite database (not a sejajar cache); give the path "
            "of a new file or of a cache"
        )


# SQLite's primary result codes that say the file itself is no database.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
# The table's columns: today's, and those of files made by earlier versions (with ``tokens``).
_LAYOUTS = (
    ["key", "text", "hit_length_cap", "split_long"],
    ["key", "text", "hit_length_cap", "split_long", "tokens"],
)
# How long to wait for another run holding the cache's lock, in seconds.
LOCK_TIMEOUT = 60.0


def not_a_database(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused the file as no database at all (or a damaged one), rather than
    as locked, read-only or full."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc)
    return "file is not a database" in text or "disk image is malformed" in text


def describe(exc: sqlite3.Error) -> str:
    """A short reason for the user, naming a lock as one."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"{text}: another program held it for too long"
    return text


class TranslationCache:
    """The cache file. ``notice`` says what happened to a corrupt file set aside on open.

    Raises :class:`CacheUnavailable` when the file is a folder, another program's database, or
    cannot be opened (locked after ``timeout`` seconds, read-only, disk full). Only a file
    SQLite file SQLite cannot read (a damaged one) is moved aside, and a new cache started."""

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = LOCK_TIMEOUT if timeout is None else timeout
        self.notice: str | None = None
        refuse_unusable(path)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            if not not_a_database(exc) or not path.is_file():
                raise CacheUnavailable(f"cannot use the cache {path}: {describe(exc)}") from exc
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            try:
                path.replace(aside)
                self.db = self._open()
            except (OSError, sqlite3.Error) as again:
                raise CacheUnavailable(f"cannot use the cache {path}: {again}") from again
            self.notice = (
                f"cache {path} was unreadable ({exc}); moved it to {aside}, starting empty"
            )
        except OSError as exc:
            raise CacheUnavailable(f"cannot use the cache {path}: {exc.strerror or exc}") from exc

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            # Looked at before anything is changed: another program's database stays as it is.
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
            if "translations" not in tables:
                if tables:  # someone else's database: leave it alone
                    raise CacheUnavailable(
                        f"{self.path} is an SQLite database but not a sejajar cache (it holds "
                        f"{', '.join(sorted(tables)[:5])}); left as it is"
                    )
                with db:
                    db.execute(_SCHEMA)
            columns = [row[1] for row in db.execute("PRAGMA table_info(translations)")]
            if columns not in _LAYOUTS:
                raise CacheUnavailable(
                    f"{self.path} holds a translations table of another layout "
                    f"({', '.join(columns)}): not a cache of this sejajar; left as it is"
                )
            db.execute("PRAGMA journal_mode=WAL")
            # Reading the table proves the file is a database we can use.
            db.execute("SELECT count(*) FROM translations").fetchone()
        except BaseException:
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
    def key(namespace: str, text: str, terms: Sequence[str] = ()) -> str:
        """The entry of ``text`` translated under ``namespace`` holding ``terms``."""
        entry = f"{namespace}\x00{normalise_source(text)}"
        if terms:
            entry += "\x00terms" + "".join(f"\x00{normalise_source(t)}" for t in terms)
        return hashlib.sha256(entry.encode()).hexdigest()

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


class CachingTranslator(WrappingTranslator):
    """Wraps a translator: serves what the cache holds, translates the rest (each distinct
    sentence once) and stores it group by group. Counts what it did in ``translated`` and
    ``cached``. When the cache fails during the run (disk full, a lock held too long), it is
    switched off, ``warn`` is told why once and ``off`` holds the reason, and translation goes
    on without it."""

    def __init__(
        self,
        inner: Translator,
        cache: TranslationCache,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self.cache = cache
        self.warn = warn
        self.namespace = render_signature(inner.signature)
        self.translated = 0
        self.cached = 0
        self.off: str | None = None

    def _switch_off(self, exc: sqlite3.Error) -> None:
        self.off = describe(exc)
        if self.warn is not None:
            self.warn(
                f"the cache {self.cache.path} failed ({self.off}); going on without it, "
                "nothing more is cached in this run"
            )

    def translate(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        terms: Terms | None = None,
    ) -> list[Translation]:
        """Translations in input order; ``terms`` as :meth:`Translator.translate` takes them
        (what a stored translation lacks of them is read from its text)."""
        if self.off is not None:
            self.translated += len(texts)
            if terms is None:
                return self.inner.translate(texts, progress)
            return self.inner.translate(texts, progress, terms=terms)
        wanted = [()] * len(texts) if terms is None else [tuple(t) for t in terms]
        keys = [self.cache.key(self.namespace, t, w) for t, w in zip(texts, wanted, strict=True)]
        try:
            known = self.cache.get_many(list(dict.fromkeys(keys)))
        except sqlite3.Error as exc:
            self._switch_off(exc)
            return self.translate(texts, progress, terms)
        if terms is not None:
            for key, its_terms in zip(keys, wanted, strict=True):
                if key in known and its_terms:
                    found = known[key]
                    known[key] = replace(found, missing_terms=missing(found.text, its_terms))
        hits = sum(1 for k in keys if k in known)
        self.cached += hits
        if progress is not None and hits:
            progress(hits)
        todo = {k: (t, w) for k, t, w in zip(keys, texts, wanted, strict=True) if k not in known}
        pending = list(todo.items())
        for start in range(0, len(pending), GROUP):
            group = pending[start : start + GROUP]
            sent = [t for _, (t, _) in group]
            if terms is None:
                results = self.inner.translate(sent)
            else:
                results = self.inner.translate(sent, terms=[w for _, (_, w) in group])
            pairs = [(k, r) for (k, _), r in zip(group, results, strict=True)]
            if self.off is None:
                try:
                    self.cache.put_many(pairs)
                except sqlite3.Error as exc:
                    self._switch_off(exc)
            known.update(pairs)
            self.translated += len(group)
            if progress is not None:
                # Duplicates of a sentence finish with it.
                done = {k for k, _ in group}
                progress(sum(1 for k in keys if k in done))
        return [known[k] for k in keys]
