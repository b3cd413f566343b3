"""A cache that cannot be used never stops a run: disk full, a read-only file, a lock held by
another run, another program's database each give a warning, the run goes on uncached and
the summary says so. Only a file SQLite cannot read as a database is moved aside; a folder
given as --cache is refused before any work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate import cache as cache_module
from sejajar.translate.cache import CacheUnavailable, CachingTranslator, TranslationCache
from tests.helpers import FakeTranslator

ARTICLE = "Presiden tiba di Jakarta pada Senin pagi. Harga beras naik tajam.\n"
TEXTS = [f"Harga beras naik {i} persen di pasar induk kota." for i in range(40)]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def translate_cli(tiny_model: Path, tmp_path: Path, cache: Path) -> tuple[int, str, str]:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE)
    out = tmp_path / "out"
    return run(
        "translate", str(article), "--out", str(out), "--model", str(tiny_model),
        "--beams", "1", "--workers", "1", "--cache", str(cache),
    )  # fmt: skip


def filled_cache(path: Path) -> list[str]:
    """A healthy cache holding the translations of TEXTS[:10]; returns them."""
    cache = TranslationCache(path)
    done = CachingTranslator(FakeTranslator(), cache).translate_batch(TEXTS[:10])
    cache.close()
    return done


def expected(texts: list[str]) -> list[str]:
    return FakeTranslator().translate_batch(texts)


# --- a folder ------------------------------------------------------------------------------


def test_a_folder_as_cache_is_refused_before_any_work(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cachedir"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    code, _out, err = translate_cli(tiny_model, tmp_path, folder)
    assert code == 2
    assert err == f"Error: --cache {folder} is a folder; give the path of a file\n"
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("cachedir")] == ["cachedir"]
    assert (folder / "mine.txt").read_text() == "keep me"
    with pytest.raises(CacheUnavailable, match="is a folder"):
        TranslationCache(folder)


# --- disk full -----------------------------------------------------------------------------


def test_disk_full_during_a_run_switches_the_cache_off(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    filled_cache(path)
    cache = TranslationCache(path)
    # A real SQLITE_FULL: the database may not grow by a page more.
    pages = cache.db.execute("PRAGMA page_count").fetchone()[0]
    cache.db.execute(f"PRAGMA max_page_count={pages}")
    warnings: list[str] = []
    wrapped = CachingTranslator(FakeTranslator(), cache, warn=warnings.append)
    texts = [t + " " + "panjang " * 200 for t in TEXTS] * 20
    texts = [f"{i} {t}" for i, t in enumerate(texts)]
    assert wrapped.translate_batch(texts) == expected(texts)
    assert wrapped.off == "database or disk is full"
    assert len(warnings) == 1 and "database or disk is full" in warnings[0]
    # Later calls skip the cache and still translate; what it held before is intact.
    assert wrapped.translate_batch(TEXTS[:12]) == expected(TEXTS[:12])
    cache.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM translations").fetchone()[0] >= 10


def test_cli_disk_full_goes_on_uncached_and_says_so(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: TranslationCache, items: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(TranslationCache, "put_many", full)
    cache = tmp_path / "c.sqlite"
    code, _out, err = translate_cli(tiny_model, tmp_path, cache)
    assert code == 0, err
    assert (tmp_path / "out" / "a.tsv").exists()
    assert err.startswith(f"Warning: the cache {cache} failed (database or disk is full)")
    assert err.rstrip().endswith(
        "2 sentences translated, 0 from the cache, 0 repeated in the run (the cache failed and "
        "was off for the rest "
        "of the run: database or disk is full)"
    )
    assert "bug" not in err


# --- read-only -----------------------------------------------------------------------------


def test_a_read_only_cache_is_read_but_not_moved_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite"
    filled_cache(path)
    before = path.read_bytes()
    connect = sqlite3.connect
    # Tests run as root, which chmod does not stop: open the file read-only instead.
    monkeypatch.setattr(
        cache_module.sqlite3,
        "connect",
        lambda p, **kw: connect(f"file:{p}?mode=ro", uri=True, **kw),
    )
    warnings: list[str] = []
    cache = TranslationCache(path)
    wrapped = CachingTranslator(FakeTranslator(), cache, warn=warnings.append)
    assert wrapped.translate_batch(TEXTS[:20]) == expected(TEXTS[:20])
    assert (wrapped.cached, wrapped.translated) == (10, 10)
    assert wrapped.off is not None and "readonly" in wrapped.off
    assert len(warnings) == 1
    cache.close()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert path.read_bytes() == before


# --- locks ---------------------------------------------------------------------------------


def test_a_wal_cache_locked_for_long_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    filled_cache(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run writing, for longer than we wait
    holder.execute("INSERT INTO translations VALUES ('k', 'held', 0, 0)")
    warnings: list[str] = []
    cache = TranslationCache(path, timeout=0.3)
    wrapped = CachingTranslator(FakeTranslator(), cache, warn=warnings.append)
    assert wrapped.translate_batch(TEXTS[:20]) == expected(TEXTS[:20])
    assert wrapped.cached == 10  # reading still works beside a writer in WAL mode
    assert wrapped.off is not None and "locked" in wrapped.off
    assert "another program held it" in warnings[0]
    cache.close()
    holder.execute("COMMIT")
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM translations").fetchone()
    assert rows == (11,)


def test_a_rollback_journal_cache_held_exclusively_is_not_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute(cache_module._SCHEMA)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO translations VALUES ('k', 'held', 0, 0)")
    with pytest.raises(CacheUnavailable, match="database is locked: another program held it"):
        TranslationCache(path, timeout=0.3)
    holder.execute("COMMIT")  # the holder's work is not lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite"]
    assert sqlite3.connect(path).execute("SELECT text FROM translations").fetchall() == [("held",)]


def test_cli_locked_cache_goes_on_uncached(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(cache_module, "LOCK_TIMEOUT", 0.3)
    code, _out, err = translate_cli(tiny_model, tmp_path, path)
    holder.execute("COMMIT")
    assert code == 0, err
    assert err.startswith(f"Warning: cannot use the cache {path}: database is locked")
    assert err.rstrip().endswith("(the cache was off: see the warning above)")
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


# --- another schema, a corrupt file --------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    ["CREATE TABLE notes (body TEXT)", "CREATE TABLE translations (key TEXT, text TEXT)"],
)
def test_another_programs_database_is_left_alone(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "c.sqlite"
    db = sqlite3.connect(path)
    db.execute(schema)
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(CacheUnavailable, match=r"not a .*cache"):
        TranslationCache(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite"]


def test_cli_another_schema_goes_on_uncached(tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()
    code, _out, err = translate_cli(tiny_model, tmp_path, path)
    assert code == 0, err
    assert err.startswith(f"Warning: {path} is an SQLite database but not a sejajar cache")
    assert err.rstrip().endswith(
        "2 sentences translated, 0 from the cache, 0 repeated in the run (the cache was off: "
        "see the warning above)"
    )


def test_only_a_damaged_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"not sqlite at all " * 300)
    cache = TranslationCache(path)
    assert cache.notice is not None and "moved it to" in cache.notice
    assert CachingTranslator(FakeTranslator(), cache).translate_batch(TEXTS[:3]) == expected(
        TEXTS[:3]
    )
    cache.close()
    assert len(list(tmp_path.glob("c.sqlite.corrupt-*"))) == 1


# --- a cache that is no cache: an input, an output, a file of another kind -----------------


def test_a_file_that_is_no_database_is_refused_and_left_alone(
    tiny_model: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    code, _out, err = translate_cli(tiny_model, tmp_path, notes)
    assert code == 2
    assert err == (
        f"Error: --cache {notes} is not an SQLite database (not a sejajar cache); give the "
        "path of a new file or of a cache\n"
    )
    assert notes.read_text() == "my notes\n" and not list(tmp_path.glob("notes.txt*.corrupt*"))
    with pytest.raises(CacheUnavailable, match="not an SQLite database"):
        TranslationCache(notes)


def test_a_cache_that_is_an_input_or_an_output_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    """--cache naming the article used to move it to .corrupt and write SQLite in its place."""
    article = tmp_path / "a.txt"
    code, _out, err = translate_cli(tiny_model, tmp_path, article)
    assert code == 2 and "is not an SQLite database" in err
    assert article.read_text() == ARTICLE
    output = tmp_path / "out" / "a.tsv"
    code, _out, err = translate_cli(tiny_model, tmp_path, output)
    assert code == 2
    assert err == f"Error: --cache {output} is an output of this run; give another path\n"
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_cache_whose_folder_is_a_file_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _out, err = translate_cli(tiny_model, tmp_path, blocker / "c.sqlite")
    assert code == 2
    assert err == (
        f"Error: --cache {blocker / 'c.sqlite'}: {blocker} is a file, not a folder; give "
        "another path\n"
    )
