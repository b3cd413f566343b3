"""In-run deduplication (each distinct folded sentence translated once per run, in front of the
cache) and cross-document windows in ``sejajar translate`` (small articles share one
translator call; a window whose translation fails is redone document by document)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from sejajar.jobs.corpus import CorpusSummary
from sejajar.jobs.pairs import CorpusOptions, document_pairs
from sejajar.jobs.shards import CorpusDocument, ShardResult
from sejajar.jobs.translate import Outcome, load_inputs, translate_window
from sejajar.jobs.windows import windows
from sejajar.translate.dedup import DedupTranslator
from sejajar.translate.engines import ENGINES, ModelSettings, TranslatorSession
from sejajar.translate.translator import Translation, Translator, TranslatorError
from tests.helpers import FakeTranslator, run

SHARED = "Presiden Korea Selatan kata harga naik di Amerika Serikat."
BOOM = "Kalimat ini meledak."


class Exploding(FakeTranslator):
    """The fake glossary translator, failing on any batch that holds ``BOOM`` (as a worker
    that dies twice on a batch does)."""

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        if any(BOOM in t for t in texts):
            raise TranslatorError("a worker process died translating this batch")
        return super().generate(texts)


def _sent(fake: FakeTranslator) -> list[str]:
    return [t for batch in fake.batches for t in batch]


def _articles(folder: Path, bodies: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, body in bodies.items():
        path = folder / f"{name}.txt"
        path.write_text(body + "\n", "utf-8")
        paths.append(path)
    return paths


def _session(
    monkeypatch: pytest.MonkeyPatch, fake: FakeTranslator, **kwargs: int
) -> TranslatorSession:
    monkeypatch.setitem(ENGINES, "fake", lambda settings: fake)
    return TranslatorSession(ModelSettings(engine="fake"), cache=False, **kwargs)


def translate_file(source: Path, out_dir: Path, translator: Callable[[], Translator]) -> Outcome:
    """One input as a window of its own, so one translator call per document: what the run's
    memory must see across calls."""
    (window,) = windows(load_inputs([source]))
    (outcome,) = translate_window(window, out_dir, translator, formats=["tsv"])
    return outcome


THREE = {
    "a": f"Harga naik di Jakarta. {SHARED} Yang pertama selesai.",
    "b": f"Harga turun di Korea. {SHARED} Yang kedua selesai.",
    "c": f"Presiden Amerika Serikat naik. {SHARED} Yang ketiga selesai.",
}


def test_a_sentence_shared_by_documents_is_sent_once_with_the_same_outputs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sources = _articles(tmp_path / "in", THREE)
    plain = FakeTranslator()
    for source in sources:  # no memo: every document on its own
        assert not translate_file(source, tmp_path / "plain", lambda: plain).error
    assert _sent(plain).count(SHARED) == 3
    fake = FakeTranslator()
    session = _session(monkeypatch, fake)
    for source in sources:  # one call per document: the memo works across calls
        assert not translate_file(source, tmp_path / "memo", session).error
    assert _sent(fake).count(SHARED) == 1
    assert session.counts() == (7, 0, 2)
    for name in THREE:
        tsv = f"{name}.tsv"
        assert (tmp_path / "memo" / tsv).read_text() == (tmp_path / "plain" / tsv).read_text()


def test_whitespace_variants_share_one_translation(fake: FakeTranslator) -> None:
    memo = DedupTranslator(fake)
    first = memo.translate(["Harga naik di Jakarta.", "Harga  naik\tdi Jakarta. "])
    again = memo.translate(["\u00a0Harga naik di\nJakarta."])
    assert _sent(fake) == ["Harga naik di Jakarta."]
    assert first[0] == first[1] == again[0]
    assert (memo.sent, memo.repeats) == (1, 2)


def test_the_memo_keeps_its_cap_forgetting_the_least_recently_used(
    fake: FakeTranslator,
) -> None:
    memo = DedupTranslator(fake, capacity=2)
    memo.translate(["satu", "dua"])
    memo.translate(["satu"])  # used again: "dua" is now the oldest
    memo.translate(["tiga"])
    assert list(memo.memo) == ["satu", "tiga"]
    memo.translate(["satu", "dua"])
    assert _sent(fake) == ["satu", "dua", "tiga", "dua"]
    assert len(memo.memo) == 2


def test_progress_counts_input_texts_repeats_included(fake: FakeTranslator) -> None:
    memo = DedupTranslator(fake)
    memo.translate(["satu", "dua"])
    texts = ["satu", "tiga", "tiga", "dua", "empat", "tiga", "satu", "lima", "enam"]
    calls: list[int] = []
    results = memo.translate(texts, calls.append)
    assert sum(calls) == len(texts)
    assert [r.text for r in results] == texts  # the glossary leaves these words as they are
    assert memo.repeats == 5


def test_summary_line_counts_repeats(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = FakeTranslator()
    monkeypatch.setitem(ENGINES, "transformers", lambda settings: fake)
    _articles(tmp_path / "in", THREE)
    args = ["translate", str(tmp_path / "in"), "--out", str(tmp_path / "o")]
    code, _, err = run(*args, "--cache", str(tmp_path / "c.sqlite"))
    assert code == 0, err
    assert err.endswith(
        "3 inputs: 3 done, 0 skipped, 0 failed; 7 sentences translated, 0 from the cache, "
        "2 repeated in the run\n"
    )
    code, _, err = run(*args, "--cache", str(tmp_path / "c.sqlite"), "--force")
    assert err.endswith("0 sentences translated, 7 from the cache, 2 repeated in the run\n")
    code, _, err = run(*args, "--no-cache", "--force")
    assert err.endswith("7 sentences translated, 0 from the cache, 2 repeated in the run\n")


def test_small_documents_share_one_translator_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeTranslator(batch_size=64)
    monkeypatch.setitem(ENGINES, "transformers", lambda settings: fake)
    _articles(tmp_path / "in", THREE)
    code, out, err = run("translate", str(tmp_path / "in"), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert len(fake.batches) == 1  # one document at a time would make three
    assert set(fake.batches[0]) >= {"Yang pertama selesai.", "Yang ketiga selesai."}
    lines = out.splitlines()  # one line per input, in input order, as before
    assert [line.split(" -> ")[0] for line in lines] == [
        str(tmp_path / "in" / f"{n}.txt") for n in "abc"
    ]


def test_windows_follow_their_sentence_budget_and_document_count(tmp_path: Path) -> None:
    sources = _articles(
        tmp_path, {f"d{i}": f"Kalimat {i} satu. Kalimat {i} dua." for i in range(7)}
    )
    loaded = list(load_inputs(sources))
    # Two sentences each: a window holds what fits in the budget, never more.
    assert [len(w) for w in windows(loaded, sentences=6, documents=64)] == [3, 3, 1]
    assert [len(w) for w in windows(loaded, sentences=5, documents=64)] == [2, 2, 2, 1]
    assert [len(w) for w in windows(loaded, sentences=1, documents=64)] == [1] * 7
    assert [len(w) for w in windows(loaded, sentences=512, documents=3)] == [3, 3, 1]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    (window,) = windows(load_inputs([sources[0], bad, sources[1]]))
    assert [item.source for item in window] == [sources[0], bad, sources[1]]
    assert window[1].error and "empty file" in window[1].error


def test_a_failing_window_is_redone_document_by_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bodies = {**THREE, "b": f"Harga turun di Korea. {BOOM} Yang kedua selesai."}
    sources = _articles(tmp_path / "in", bodies)
    fake = Exploding(batch_size=64)
    (window,) = windows(load_inputs(sources))
    outcomes = translate_window(
        window, tmp_path / "o", _session(monkeypatch, fake), formats=["tsv"]
    )
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert outcomes[1].error == f"{sources[1]}: cannot translate: a worker process died " + (
        "translating this batch"
    )
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.tsv", "c.tsv"]


def test_corpus_documents_share_the_actor_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTranslator()
    session = _session(monkeypatch, fake)
    options = CorpusOptions(cache=False)
    for name, body in THREE.items():
        rows = document_pairs(CorpusDocument(name, body, None), session, options)
        assert len(rows) == 3 and rows[0]["error"] is None
    assert _sent(fake).count(SHARED) == 1
    assert session.counts()[2] == 2
    summary = CorpusSummary(shards=1)
    summary.add_shard(ShardResult(shard="s", documents=3, pairs=9, translated=7, repeated=2))
    assert summary.render().endswith(
        "7 sentences translated, 0 from the cache, 2 repeated in the run"
    )
