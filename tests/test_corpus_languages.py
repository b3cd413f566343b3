"""The corpus's document language, without Ray: a ``language`` column on every row, and
``--languages`` skipping documents in other languages (one row each, no pair, no failure);
foreign sentences of a kept document copied as ``sejajar translate`` copies them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sejajar.jobs.corpus import CorpusSummary
from sejajar.jobs.pairs import CorpusOptions, run_shard
from sejajar.jobs.shards import Shard
from sejajar.translate.engines import ENGINES, ModelSettings, TranslatorSession
from tests.helpers import KONTAN, FakeTranslator, run

pq = pytest.importorskip("pyarrow.parquet")

ENGLISH = (Path(__file__).parent / "data" / "kontan.en.txt").read_text("utf-8")
QUOTE = "The United States will respond swiftly and decisively to any nuclear attack."


def _shard(tmp_path: Path) -> Shard:
    kontan = KONTAN.read_text("utf-8")
    rows = [
        {"id": "kontan", "text": kontan},
        {"id": "english", "text": ENGLISH},
        {"id": "quoted", "text": f"{kontan}\n{QUOTE}\n"},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return Shard("s", path)


def _session(monkeypatch: pytest.MonkeyPatch, fake: FakeTranslator) -> TranslatorSession:
    monkeypatch.setitem(ENGINES, "fake", lambda settings: fake)
    return TranslatorSession(ModelSettings(engine="fake"), cache=False)


def test_languages_id_skips_the_english_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeTranslator()
    options = CorpusOptions(cache=False, languages=frozenset({"id"}))
    result = run_shard(_shard(tmp_path), _session(monkeypatch, fake), options, tmp_path / "out")
    assert result.error is None
    assert (result.documents, result.failed_documents, result.other_languages) == (3, 0, 1)
    rows = pq.read_table(tmp_path / "out" / "s.parquet").to_pylist()
    by_doc = {r["doc_id"]: [x for x in rows if x["doc_id"] == r["doc_id"]] for r in rows}
    assert [(r["pair"], r["language"], r["error"]) for r in by_doc["english"]] == [(-1, "en", None)]
    assert {r["language"] for r in by_doc["kontan"]} == {"id"}
    assert all(r["pair"] >= 0 for r in by_doc["kontan"])
    sent = {t for batch in fake.batches for t in batch}
    assert not any(line.strip() and line.strip() in sent for line in ENGLISH.splitlines())
    # A foreign sentence of an Indonesian document: copied, flagged, not sent.
    quoted = {r["source"]: r for r in by_doc["quoted"]}
    assert quoted[QUOTE]["target"] == QUOTE
    assert quoted[QUOTE]["kind"] == "foreign" and quoted[QUOTE]["flags"] == ["foreign"]
    assert QUOTE not in sent
    manifest = json.loads((tmp_path / "out" / "s.manifest.json").read_text("utf-8"))
    assert manifest["other_languages"] == 1
    summary = CorpusSummary(shards=1)
    summary.add_shard(result)
    assert "3 documents (0 failed, 1 in other languages)" in summary.render()


def test_without_languages_every_document_is_paired(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    options = CorpusOptions(cache=False)
    session = _session(monkeypatch, FakeTranslator())
    result = run_shard(_shard(tmp_path), session, options, tmp_path / "out")
    assert (result.failed_documents, result.other_languages) == (0, 0)
    rows = pq.read_table(tmp_path / "out" / "s.parquet").to_pylist()
    english = [r for r in rows if r["doc_id"] == "english"]
    assert english and {r["language"] for r in english} == {"en"}
    assert all(r["pair"] >= 0 for r in rows)


def test_unknown_language_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("corpus", str(tmp_path), "--out", str(tmp_path / "o"), "--languages", "xx")
    assert code == 2
    assert err.startswith("Error: --languages: unknown language xx; choose from ar, de, en,")
