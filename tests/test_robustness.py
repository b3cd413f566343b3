"""Never lose work: bad and huge input, failing writes, the translation cache, interruption and
resume, and random input that must never end in a traceback."""

from __future__ import annotations

import codecs
import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sejajar.align.export.tsv import parse_tsv
from sejajar.cli import app
from sejajar.core.files import InputError, read_article, write_atomic
from sejajar.translate.cache import CachingTranslator, TranslationCache
from sejajar.translate.split import split_text
from tests.helpers import KONTAN, FakeTranslator, run

runner = CliRunner()
ARTICLE = "Harga naik 5 persen.\nPresiden tiba di Jakarta. Ia disambut.\n"


# --- reading ---------------------------------------------------------------------------------

READABLE = [
    ("utf-8 BOM", codecs.BOM_UTF8 + ARTICLE.encode(), ARTICLE),
    ("utf-16-le BOM", codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"), ARTICLE),
    ("utf-16-be BOM", codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"), ARTICLE),
    ("CRLF", ARTICLE.replace("\n", "\r\n").encode(), ARTICLE),
    ("lone CR", ARTICLE.replace("\n", "\r").encode(), ARTICLE),
    (
        "NBSP and zero-width",
        "Harga\u00a0naik\u200b 5\u2009persen.".encode(),
        "Harga naik 5 persen.",
    ),
    ("control characters", b"Harga\x07naik\x1b 5 persen.", "Harga naik  5 persen."),
    (
        "mixed scripts",
        "Harga naik. Цена выросла. 价格上涨。".encode(),
        "Harga naik. Цена выросла. 价格上涨。",
    ),
    (
        "saved web page",
        b"<!DOCTYPE html><html><head><title>Berita</title><script>alert(1)</script></head>"
        b"<body><nav>Menu</nav><p>Harga naik 5 persen.</p><p>Presiden tiba &amp; disambut.</p></body></html>",
        "Berita\nHarga naik 5 persen.\nPresiden tiba & disambut.",
    ),
]


@pytest.mark.parametrize(("case", "data", "text"), READABLE, ids=[c[0] for c in READABLE])
def test_readable_inputs(case: str, data: bytes, text: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    assert read_article(path) == text


REFUSED = [
    ("empty", b"", "{p}: empty file, no text to translate"),
    ("whitespace", b" \n\t\r\n", "{p}: empty file, no text to translate"),
    ("NUL bytes", b"abc\x00def", "{p}: binary data (NUL bytes), not a text file"),
    ("random binary", bytes(range(256)), "{p}: binary data (NUL bytes), not a text file"),
    (
        "latin-1",
        "Kafé buka.".encode("latin-1"),
        "{p}: invalid UTF-8 at line 1, column 4 (byte 0xe9); save it as UTF-8",
    ),
    (
        "html with no text",
        b"<html><body><script>x()</script></body></html>",
        "{p}: empty file, no text to translate",
    ),
]


@pytest.mark.parametrize(("case", "data", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_inputs(case: str, data: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_article(path)
    assert str(info.value) == message.format(p=path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Halo.")

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)  # as root, chmod 000 does not stop a read
    with pytest.raises(InputError, match=r": cannot read \(Permission denied\)$"):
        read_article(path)


def test_one_megabyte_line_and_twenty_megabyte_article(tmp_path: Path) -> None:
    line = "kata " * 200_000 + "selesai."
    (tmp_path / "line.txt").write_text(line)
    (segment,) = split_text(read_article(tmp_path / "line.txt"))
    assert segment.text == line.strip()
    paragraph = "Presiden AS Joe Biden bertemu Yoon di Washington pada Rabu (26/4/2023). " * 20
    big = (paragraph + "\n") * (20_000_000 // (len(paragraph) + 1))
    (tmp_path / "big.txt").write_text(big)
    segments = split_text(read_article(tmp_path / "big.txt"))
    assert len(segments) == 20 * big.count("\n")
    assert segments[-1].end == len(big.rstrip())


def test_three_thousand_word_sentence_is_split_not_truncated(
    tiny_model: Path, tmp_path: Path
) -> None:
    words = [f"kata{i % 97}" for i in range(3000)]
    sentence = " ".join(w + ("," if i % 25 == 24 else "") for i, w in enumerate(words)) + "."
    (tmp_path / "long.txt").write_text(sentence)
    code, _, err = run(
        "translate",
        str(tmp_path / "long.txt"),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 0, err
    ((source, target),) = parse_tsv((tmp_path / "o" / "long.tsv").read_text())
    assert source == sentence and target
    assert "split-long" in (tmp_path / "o" / "long.html").read_text()


# --- writing ---------------------------------------------------------------------------------


def test_disk_full_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.tsv"
    target.write_text("previous complete content\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new content\n" * 1000)
    assert target.read_text() == "previous complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]


def test_disk_full_during_a_run_is_one_line(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run(
        "translate",
        str(KONTAN),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 1
    assert err.startswith(
        f"Error: {KONTAN}: cannot write to {tmp_path / 'o'}: No space left on device\n"
    )
    assert list((tmp_path / "o").iterdir()) == []


def test_out_not_writable(tiny_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(
        "translate",
        str(KONTAN),
        "--out",
        str(blocker / "sub"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
        "--no-cache",
    )
    assert code == 1
    assert err.startswith(f"Error: {KONTAN}: cannot write to {blocker / 'sub'}: Not a directory\n")


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
        "1 inputs: 1 done, 0 skipped, 0 failed; 12 sentences translated, 0 from the cache\n"
    )
    first = (tmp_path / "o" / "a.tsv").read_bytes()
    code, _, err = run(*args, "--force")
    assert err.endswith("0 sentences translated, 12 from the cache\n")
    assert (tmp_path / "o" / "a.tsv").read_bytes() == first
    article.write_text(
        KONTAN.read_text().replace("Menghentikan Korea Utara", "Mencegah Korea Utara")
    )
    code, _, err = run(*args, "--force")
    assert err.endswith("1 sentences translated, 11 from the cache\n")


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
    cache.write_bytes(b"this is not a database" * 100)
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
    assert aside.read_bytes() == b"this is not a database" * 100
    assert sqlite3.connect(cache).execute("SELECT count(*) FROM translations").fetchone() == (12,)


def test_concurrent_runs_share_the_cache(tiny_model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "translate",
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


# --- folders, interruption, resume -----------------------------------------------------------


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    base = KONTAN.read_text().splitlines()
    for k in range(count):
        # Each article differs from the others in one sentence.
        lines = [*base, f"Artikel nomor {k} selesai ditulis pada hari ke-{k}."]
        (folder / f"a{k:03d}.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_folder_with_a_bad_file_reports_and_goes_on(tiny_model: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 3)
    (folder / "sub").mkdir()
    (folder / "sub" / "bad.txt").write_bytes(b"\xff\xfe\x00")
    (folder / "notes.md").write_text("not an article")
    code, out, err = run(
        "translate",
        str(folder),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    assert code == 1
    assert out.count(" -> ") == 3
    assert err.endswith(
        "4 inputs: 3 done, 0 skipped, 1 failed; 15 sentences translated, 24 from the cache\n"
        "Error: 1 of 4 inputs failed\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupt_then_resume(how: signal.Signals, tiny_model: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 40)
    out, cache = tmp_path / "o", tmp_path / "c.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "translate",
        "translate",
        str(folder),
        "--out",
        str(out),
        "--model",
        str(tiny_model),
        "--beams",
        "2",
        "--cache",
        str(cache),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.html"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    expected = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -9}[how]
    assert proc.returncode == expected, err
    if how != signal.SIGKILL:
        assert "Traceback" not in err and err.strip().endswith(
            "outputs written so far are complete"
        )
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    done = sorted(p.stem for p in out.glob("*.html"))
    assert 3 <= len(done) < 40
    for tsv in out.glob("*.tsv"):  # whatever exists is complete
        assert len(parse_tsv(tsv.read_text())) == 13
    code = subprocess.run([*cmd, "--skip-existing"], capture_output=True, text=True, timeout=600)
    assert code.returncode == 0, code.stderr
    summary = code.stderr.strip().splitlines()[-1]
    finished = len([s for s in done if (out / f"{s}.tsv").exists()])
    assert summary.startswith(f"40 inputs: {40 - finished} done, {finished} skipped, 0 failed; ")
    # Only what was not done is translated: one new sentence per remaining article at most,
    # the twelve shared ones come from the cache.
    translated = int(summary.split("; ")[1].split()[0])
    assert translated <= 40 - finished
    assert len(list(out.glob("*.tsv"))) == 40


# --- random input never ends in a traceback --------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_random_input_never_crashes(
    data: bytes, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.txt").write_bytes(data)
    result = runner.invoke(
        app,
        [
            "translate",
            str(folder / "x.txt"),
            "--out",
            str(folder / "o"),
            "--model",
            str(tiny_model),
            "--beams",
            "1",
            "--no-cache",
        ],
    )
    assert result.exit_code in (0, 1), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert all(line.startswith(("Error: ", "1 inputs: ")) for line in result.stderr.splitlines())
