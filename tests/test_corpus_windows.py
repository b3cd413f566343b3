"""The corpus job's pieces, without Ray: the documents of a window go to the model in one call,
each document's rows are what it gets alone, and a run clears the temporaries a killed one left
but not those of one still writing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sejajar.jobs.corpus import shards_to_run
from sejajar.jobs.pairs import CorpusOptions, corpus_pairs, document_pairs, prepare
from sejajar.jobs.shards import CorpusDocument, find_shards
from sejajar.jobs.windows import windows
from sejajar.translate.engines import ENGINES, ModelSettings, TranslatorSession
from tests.helpers import FakeTranslator

DOCS = [
    CorpusDocument("a", "Harga naik di Jakarta. Presiden Korea Selatan datang.", None),
    CorpusDocument("b", "Harga turun di Korea. Yang kedua selesai.", None),
    CorpusDocument("bad", None, None, "not UTF-8"),
    CorpusDocument("t", "Harga naik di Korea.", "Prices rise in Korea."),
    CorpusDocument("c", "Presiden Amerika Serikat naik. Yang ketiga selesai.", None),
]


def session(monkeypatch: pytest.MonkeyPatch, fake: FakeTranslator) -> TranslatorSession:
    monkeypatch.setitem(ENGINES, "fake", lambda settings: fake)
    return TranslatorSession(ModelSettings(engine="fake"), cache=False)


@pytest.mark.parametrize("bridge", [False, True])
def test_a_window_is_one_model_call_with_each_documents_own_rows(
    monkeypatch: pytest.MonkeyPatch, bridge: bool
) -> None:
    options = CorpusOptions(cache=False, bridge=bridge)
    alone = FakeTranslator(batch_size=64)
    expected = [document_pairs(doc, session(monkeypatch, alone), options) for doc in DOCS]
    together = FakeTranslator(batch_size=64)
    tally = [0]
    got = list(corpus_pairs(DOCS, session(monkeypatch, together), options, tally))
    assert got == expected
    assert got[2][0]["pair"] == -1 and "UTF-8" in (got[2][0]["error"] or "")
    assert got[3] and got[3][0]["target"] == "Prices rise in Korea."
    # The three documents without a target (6 sentences) went to the model as one batch, with
    # the one with a target when it is aligned with a bridge (1 sentence more).
    assert len(alone.batches) == 3 + bridge
    assert [len(b) for b in together.batches] == [6 + bridge]
    assert tally == [6 + bridge]


def test_windows_are_bounded_by_documents_and_sentences() -> None:
    options = CorpusOptions(cache=False)
    short = [prepare(CorpusDocument(str(i), "Satu. Dua.", None), options) for i in range(7)]
    assert [len(w) for w in windows(short, documents=3, sentences=6)] == [3, 3, 1]
    assert [len(w) for w in windows(short, documents=64, sentences=5)] == [2, 2, 2, 1]
    long = [prepare(CorpusDocument(str(i), "Satu. Dua. Tiga. Empat.", None), options)
            for i in range(3)]  # fmt: skip
    assert [len(w) for w in windows(long, documents=3, sentences=5)] == [1, 1, 1]
    assert [d.doc_id for w in windows(short) for d in w] == [d.doc_id for d in short]


def test_a_run_removes_old_temporaries_and_keeps_a_running_jobs(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    shard = tmp_path / "in" / "part.jsonl"
    shard.write_text('{"id": 1, "text": "Satu."}\n', "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    old = [out / ".part.parquet.k1ll3d00.tmp", out / ".part.manifest.json.k1ll3d00.tmp"]
    fresh = out / ".part.parquet.runn1ng0.tmp"
    for path in (*old, fresh):
        path.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    for path in old:
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert [s.name for s in shards_to_run(find_shards([shard]), out)] == ["part"]
    assert sorted(p.name for p in out.iterdir()) == [fresh.name]


def test_a_lone_surrogate_fails_its_document_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """JSON may escape half a surrogate pair (``\\ud800``), which no UTF-8 file can hold: that
    document used to fail its whole shard with a raw UnicodeEncodeError."""
    import pyarrow.parquet as pq

    from sejajar.jobs.shards import Columns, Shard, ShardResult, read_shard, write_shard

    data = tmp_path / "s.jsonl"
    data.write_text(
        '{"id": "a", "text": "Harga naik di Jakarta."}\n'
        '{"id": "b", "text": "Harga \\ud800 naik."}\n'
        '{"id": "c\\udc80", "text": "Harga turun."}\n'
        '{"id": "d", "text": "Satu.", "target": "One \\udfff."}\n',
        "utf-8",
    )
    shard = Shard("s", data)
    docs = read_shard(shard, Columns(target="target"))
    options = CorpusOptions(cache=False, bridge=False)
    rows = corpus_pairs(docs, session(monkeypatch, FakeTranslator()), options)
    flat = [row for doc_rows in rows for row in doc_rows]
    write_shard(tmp_path / "out", shard, flat, ShardResult(shard="s"))
    table = pq.read_table(tmp_path / "out" / "s.parquet").to_pylist()
    assert [(r["doc_id"], r["pair"]) for r in table] == [("a", 0), ("b", -1), ("c\\udc80", -1),
                                                         ("d", -1)]  # fmt: skip
    assert table[1]["error"] == "text holds a lone surrogate (U+D800) at character 7: not Unicode"
    assert table[2]["error"] == "id holds a lone surrogate (U+DC80) at character 2: not Unicode"
    assert table[3]["error"] == "target holds a lone surrogate (U+DFFF) at character 5: not Unicode"


def test_a_bad_json_line_of_a_shard_is_named_by_its_own_number(tmp_path: Path) -> None:
    from sejajar.core.files import InputError
    from sejajar.jobs.shards import Columns, Shard, read_shard

    data = tmp_path / "s.jsonl"
    data.write_text('{"id": "a", "text": "Satu."}\n{"id": "b", oops}\n')
    with pytest.raises(InputError) as error:
        read_shard(Shard("s", data), Columns())
    assert str(error.value) == (
        f"{data}: line 2: column 13: Expecting property name enclosed in double quotes"
    )
