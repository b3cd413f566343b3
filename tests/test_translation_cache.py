"""The translation cache: repeats served, keyed by settings, re-runs translate only what changed,
a corrupt file set aside, concurrent runs sharing one file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sejajar.translate.cache import CachingTranslator, TranslationCache
from tests.helpers import KONTAN, FakeTranslator, run

# --- the cache -------------------------------------------------------------------------------


def test_cache_serves_repeats_and_only_new_text_is_translated(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c.sqlite")
    first = CachingTranslator(FakeTranslator(), cache)
    assert first.translate_batch(["Harga naik.", "Presiden tiba.", "Harga naik."]) == [
        "price naik.",
        "president tiba.",
        "price naik.",
    ]
    assert (first.translated, first.cached) == (2, 0)
    again = CachingTranslator(FakeTranslator(), cache)
    assert again.translate_batch(["Harga  naik.", "Korea Selatan"]) == [
        "price naik.",
        "korea south",
    ]
    assert (again.translated, again.cached) == (1, 1)
    assert again.inner.batches == [["Korea Selatan"]]  # type: ignore[attr-defined]


def test_cache_is_keyed_by_settings(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c.sqlite")
    CachingTranslator(FakeTranslator(), cache).translate_batch(["Harga naik."])
    other = FakeTranslator(signature=(("model", "fake-glossary"), ("rev", "1"), ("beams", "4")))
    wrapped = CachingTranslator(other, cache)
    wrapped.translate_batch(["Harga naik."])
    assert (wrapped.translated, wrapped.cached) == (1, 0)


def test_rerun_translates_nothing_and_edit_translates_only_the_change(
    tiny_model: Path, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(KONTAN.read_text())
    args = (
        "translate",
        str(article),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    code, _, err = run(*args)
    assert code == 0 and err.endswith(
        "1 inputs: 1 done, 0 skipped, 0 failed; 12 sentences translated, "
        "0 from the cache, 0 repeated in the run\n"
    )
    first = (tmp_path / "o" / "a.tsv").read_bytes()
    code, _, err = run(*args, "--force")
    assert err.endswith("0 sentences translated, 12 from the cache, 0 repeated in the run\n")
    assert (tmp_path / "o" / "a.tsv").read_bytes() == first
    article.write_text(
        KONTAN.read_text().replace("Menghentikan Korea Utara", "Mencegah Korea Utara")
    )
    code, _, err = run(*args, "--force")
    assert err.endswith("1 sentences translated, 11 from the cache, 0 repeated in the run\n")


def test_no_cache_writes_no_cache(tiny_model: Path, tmp_path: Path, private_cache: Path) -> None:
    code, _, _ = run(
        "translate",
        str(KONTAN),
        "--out",
        str(tmp_path),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 0 and not (private_cache / "sejajar").exists()


def test_corrupt_cache_is_set_aside(tiny_model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    damaged = b"SQLite format 3\x00" + b"this is not a database" * 100  # a damaged SQLite file
    cache.write_bytes(damaged)
    code, _, err = run(
        "translate",
        str(KONTAN),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--cache",
        str(cache),
    )
    assert code == 0
    assert err.startswith(
        f"Warning: cache {cache} was unreadable (file is not a database); moved it to {cache}.corrupt-"
    )
    (aside,) = tmp_path.glob("c.sqlite.corrupt-*")
    assert aside.read_bytes() == damaged
    assert sqlite3.connect(cache).execute("SELECT count(*) FROM translations").fetchone() == (12,)


@pytest.mark.slow
def test_concurrent_runs_share_the_cache(tiny_model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sejajar",
                "translate",
                str(KONTAN),
                "--out",
                str(tmp_path / f"o{k}"),
                "--model",
                str(tiny_model),
                "--beams",
                "1",
                "--cache",
                str(cache),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    assert sqlite3.connect(cache).execute("SELECT count(*) FROM translations").fetchone() == (12,)
    outputs = {(tmp_path / f"o{k}" / f"{KONTAN.stem}.tsv").read_bytes() for k in range(3)}
    assert len(outputs) == 1
