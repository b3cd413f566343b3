"""One failure policy for the windows of ``sejajar translate`` and ``sejajar corpus``: when a
window's translation fails, its documents are translated one at a time, and only the one that
fails is lost (an error line, or a failed row), with a real model that fails on one sentence."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from sejajar.jobs.pairs import CorpusOptions, run_shard
from sejajar.jobs.shards import find_shards
from sejajar.translate.engines import ENGINES, TranslatorSession
from sejajar.translate.translator import (
    Progress,
    Translation,
    Translator,
    TranslatorError,
    WrappingTranslator,
)
from tests.helpers import one_process, run

pq = pytest.importorskip("pyarrow.parquet")

MARKER = "Kalimat ini meledak."
DIED = "a worker process died translating this batch"
BODIES = {
    "a": "Harga naik di Jakarta. Presiden Korea Selatan datang. Yang pertama selesai.",
    "b": f"Harga turun di Korea. {MARKER} Yang kedua selesai.",
    "c": "Presiden Amerika Serikat naik. Yang ketiga selesai.",
}


class FailsOnMarker(WrappingTranslator):
    """The real model, failing on any call that holds :data:`MARKER` (as a worker that dies
    twice on a batch does); it records the calls that reach it."""

    def __init__(self, inner: Translator) -> None:
        super().__init__(inner)
        self.calls: list[list[str]] = []

    def translate(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        self.calls.append(list(texts))
        if any(MARKER in t for t in texts):
            raise TranslatorError(DIED)
        return self.inner.translate(texts, progress)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> list[FailsOnMarker]:
    """The transformers engine wrapped in :class:`FailsOnMarker`; the translators it made."""
    made: list[FailsOnMarker] = []
    real = ENGINES["transformers"]

    def load(settings: object) -> Translator:
        made.append(FailsOnMarker(real(settings)))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setitem(ENGINES, "transformers", load)
    return made


def _articles(folder: Path, names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(BODIES[name] + "\n", "utf-8")
    return folder


def test_translate_loses_only_the_failing_file(
    tiny_model: Path, tmp_path: Path, faulty: list[FailsOnMarker]
) -> None:
    model = ["--model", str(tiny_model), "--beams", "1", "--workers", "1", "--no-cache"]
    code, _, err = run("translate", str(_articles(tmp_path / "clean", "ac")), "--out",
                       str(tmp_path / "want"), *model)  # fmt: skip
    assert code == 0, err
    inputs = _articles(tmp_path / "in", "abc")
    code, out, err = run("translate", str(inputs), "--out", str(tmp_path / "got"), *model)
    assert code == 1
    assert err.splitlines()[0] == f"Error: {inputs / 'b.txt'}: cannot translate: {DIED}"
    assert "3 inputs: 2 done, 0 skipped, 1 failed;" in err
    assert err.endswith("Error: 1 of 3 inputs failed\n")
    assert [line.split(" -> ")[0] for line in out.splitlines()] == [
        str(inputs / "a.txt"),
        str(inputs / "c.txt"),
    ]
    # One call for the window, then one per document: the others are translated as ever.
    assert [len(c) for c in faulty[-1].calls] == [8, 3, 3, 2]
    for name in ("a.tsv", "a.html", "c.tsv", "c.html"):
        assert (tmp_path / "got" / name).read_bytes() == (tmp_path / "want" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "got").iterdir()) == [
        "a.html",
        "a.tsv",
        "c.html",
        "c.tsv",
    ]


def _shard(path: Path, names: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for name in names:
            handle.write(json.dumps({"id": name, "text": BODIES[name]}) + "\n")
    return path


def test_corpus_loses_only_the_failing_document(
    tiny_model: Path, tmp_path: Path, faulty: list[FailsOnMarker]
) -> None:
    (tmp_path / "in").mkdir()
    options = CorpusOptions(cache=False)
    settings = one_process(tiny_model, beams=1)
    results = []
    for names in ("ac", "abc"):
        (shard,) = find_shards([_shard(tmp_path / "in" / f"{names}.jsonl.gz", names)])
        session = TranslatorSession(settings, cache=False)
        try:
            results.append(run_shard(shard, session, options, tmp_path / "out"))
        finally:
            session.close()
    want, got = results
    assert got.error is None  # the shard is written: a failed window no longer fails it
    assert (got.documents, got.failed_documents) == (3, 1)
    assert got.pairs == want.pairs
    rows = pq.read_table(tmp_path / "out" / "abc.parquet").to_pylist()
    failed = [r for r in rows if r["pair"] == -1]
    assert [(r["doc_id"], r["error"]) for r in failed] == [("b", f"cannot translate: {DIED}")]
    expected = pq.read_table(tmp_path / "out" / "ac.parquet").to_pylist()
    assert [r for r in rows if r["pair"] >= 0] == expected
    assert [len(c) for c in faulty[-1].calls] == [8, 3, 3, 2]
    manifest = json.loads((tmp_path / "out" / "abc.manifest.json").read_text("utf-8"))
    assert (manifest["documents"], manifest["failed_documents"]) == (3, 1)
