"""The corpus job's windows: the documents of a window without a target go to the model in one
call, and each document's rows are what it gets alone (tested without Ray)."""

from __future__ import annotations

import pytest

from sejajar.jobs import pairs
from sejajar.jobs.pairs import CorpusOptions, document_pairs, window_pairs, windows
from sejajar.jobs.shards import CorpusDocument
from sejajar.translate.engines import ENGINES, ModelSettings, TranslatorSession
from tests.helpers import FakeTranslator

DOCS = [
    CorpusDocument("a", "Harga naik di Jakarta. Presiden Korea Selatan datang.", None),
    CorpusDocument("b", "Harga turun di Korea. Yang kedua selesai.", None),
    CorpusDocument("bad", None, None, "not UTF-8"),
    CorpusDocument("t", "Harga naik di Jakarta.", "Prices rise in Jakarta."),
    CorpusDocument("c", "Presiden Amerika Serikat naik. Yang ketiga selesai.", None),
]


def session(monkeypatch: pytest.MonkeyPatch, fake: FakeTranslator) -> TranslatorSession:
    monkeypatch.setitem(ENGINES, "fake", lambda settings: fake)
    return TranslatorSession(ModelSettings(engine="fake"), cache=False)


def test_a_window_is_one_model_call_with_each_documents_own_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = CorpusOptions(cache=False, bridge=False)
    alone = FakeTranslator(batch_size=64)
    expected = [document_pairs(doc, session(monkeypatch, alone), options) for doc in DOCS]
    together = FakeTranslator(batch_size=64)
    tally = [0]
    got = window_pairs(DOCS, session(monkeypatch, together), options, tally)
    assert got == expected
    assert got[2][0]["pair"] == -1 and "UTF-8" in got[2][0]["error"]
    # The three documents without a target (6 sentences) went to the model as one batch; the
    # one with a target was aligned without a bridge.
    assert len(alone.batches) == 3
    assert [len(b) for b in together.batches] == [6]
    assert tally == [6]


def test_windows_are_bounded_by_documents_and_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs, "WINDOW_DOCUMENTS", 3)
    monkeypatch.setattr(pairs, "WINDOW_SENTENCES", 5)
    short = [CorpusDocument(str(i), "Satu. Dua.", None) for i in range(7)]
    assert [len(w) for w in windows(iter(short))] == [3, 3, 1]
    long = [CorpusDocument(str(i), "Satu. Dua. Tiga. Empat.", None) for i in range(3)]
    assert [len(w) for w in windows(iter(long))] == [2, 1]
    assert [d.doc_id for w in windows(iter(short)) for d in w] == [d.doc_id for d in short]
