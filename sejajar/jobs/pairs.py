"""A corpus document's pairs: split, translated (or aligned with its target), paired and
flagged as ``sejajar translate`` does, as rows of the corpus's Parquet files; windows of
documents translated in one model call, so that short articles still fill the model's batches.
Used by the Ray actors of :mod:`corpus`, and testable without Ray."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sejajar.align.pipeline import (
    align_documents,
    pair_translations,
    to_translate,
    translate_document,
)
from sejajar.core.errors import SejajarError
from sejajar.core.records import Document, ParallelDocument, render_signature, run_signature
from sejajar.jobs.shards import Columns, CorpusDocument
from sejajar.translate.engines import TranslatorSession
from sejajar.translate.rules import EN_RULES
from sejajar.translate.split import split_document, splitter_id
from sejajar.translate.translator import TranslatorError


@dataclass(frozen=True)
class CorpusOptions:
    """What to make of each document."""

    columns: Columns = field(default_factory=Columns)
    keep_boilerplate: bool = False
    # For documents with a target: align with the model's translation as bridge (True) or on
    # length and anchors only (False).
    bridge: bool = True
    # The node's translation cache: a file, True for the default one, False for none.
    cache: Path | bool = True


def document_pairs(
    doc: CorpusDocument,
    translator: TranslatorSession,
    options: CorpusOptions,
    tally: list[int] | None = None,
) -> list[dict[str, Any]]:
    """A document's pairs as rows, or one row saying why it failed. Only pairs with text on
    both sides are kept, as in ``sejajar translate``'s TSV. ``tally[0]`` grows by the number
    of segments handed to the model."""
    tally = tally if tally is not None else [0]
    try:
        if doc.error is not None or doc.text is None or not doc.text.strip():
            raise SejajarError(doc.error or f"no text in {options.columns.text!r}")
        source = split_document(doc.doc_id, doc.text)
        if doc.target is None:
            tally[0] += len(to_translate(source, options.keep_boilerplate))
            parallel = translate_document(
                source, translator(), keep_boilerplate=options.keep_boilerplate
            )
        else:
            target = split_document(doc.doc_id, doc.target, EN_RULES)
            texts = [s.text for s in source.segments]
            if options.bridge:
                tally[0] += len(texts)
                engine = translator()
                bridge = [t.text for t in engine.translate(texts)]
                settings = engine.signature
            else:
                bridge, settings = None, (("bridge", "none"),)
            splitter = f"{splitter_id()}/{splitter_id(EN_RULES)}"
            parallel = align_documents(source, target, bridge, run_signature(splitter, *settings))
        return _rows(doc.doc_id, parallel)
    except TranslatorError:
        raise  # no model: not this document's fault, the shard fails as a whole
    except Exception as exc:  # one bad document must not abort its shard or the dataset
        return [_failed(doc.doc_id, error_line(exc))]


# A window of documents to translate in one call: short articles still fill the model's batches.
WINDOW_SENTENCES = 512
WINDOW_DOCUMENTS = 64


def window_pairs(
    docs: Sequence[CorpusDocument],
    translator: TranslatorSession,
    options: CorpusOptions,
    tally: list[int] | None = None,
) -> list[list[dict[str, Any]]]:
    """Each document's rows, as :func:`document_pairs` gives them, with the sentences of every
    document that has no target sent to the model in one call (a document with a target, or
    one that fails, goes alone)."""
    tally = tally if tally is not None else [0]
    out: list[list[dict[str, Any]]] = [[] for _ in docs]
    pending: list[tuple[int, Document, list[int]]] = []
    for n, doc in enumerate(docs):
        if doc.target is not None or doc.error is not None or not (doc.text or "").strip():
            out[n] = document_pairs(doc, translator, options, tally)
            continue
        try:
            source = split_document(doc.doc_id, doc.text or "")
        except Exception as exc:  # as in document_pairs: this document fails alone
            out[n] = [_failed(doc.doc_id, error_line(exc))]
            continue
        pending.append((n, source, to_translate(source, options.keep_boilerplate)))
    if not pending:
        return out
    texts = [source.segments[i].text for _, source, chosen in pending for i in chosen]
    tally[0] += len(texts)
    engine = translator()
    done = iter(engine.translate(texts))  # a TranslatorError fails the shard, as before
    signature = run_signature(splitter_id(), *engine.signature)
    for n, source, chosen in pending:
        results = {i: next(done) for i in chosen}
        try:
            out[n] = _rows(docs[n].doc_id, pair_translations(source, results, signature))
        except Exception as exc:
            out[n] = [_failed(docs[n].doc_id, error_line(exc))]
    return out


def windows(docs: Iterable[CorpusDocument]) -> Iterator[list[CorpusDocument]]:
    """Consecutive documents, at most :data:`WINDOW_DOCUMENTS` and about
    :data:`WINDOW_SENTENCES` sentences (guessed from the text's full stops) at a time."""
    window: list[CorpusDocument] = []
    sentences = 0
    for doc in docs:
        window.append(doc)
        sentences += (doc.text or "").count(". ") + 1
        if len(window) >= WINDOW_DOCUMENTS or sentences >= WINDOW_SENTENCES:
            yield window
            window, sentences = [], 0
    if window:
        yield window


def error_line(exc: Exception) -> str:
    """An exception as one line of a failed row, or of a failed shard."""
    return exc.naming(str) if isinstance(exc, SejajarError) else f"{type(exc).__name__}: {exc}"


def _rows(doc_id: str, doc: ParallelDocument) -> list[dict[str, Any]]:
    signature = render_signature(doc.signature)
    rows: list[dict[str, Any]] = []
    for link in doc.links:
        if not link.source or not link.target:
            continue
        rows.append(
            {
                "doc_id": doc_id,
                "pair": len(rows),
                "source": doc.source_text(link),
                "target": doc.target_text(link),
                "kind": doc.kind(link).value,
                "flags": [f.name for f in link.flags],
                "confidence": link.score,
                "signature": signature,
                "error": None,
            }
        )
    return rows


def _failed(doc_id: str, error: str) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "pair": -1,
        "source": None,
        "target": None,
        "kind": None,
        "flags": [],
        "confidence": None,
        "signature": None,
        "error": error[:1000],
    }
