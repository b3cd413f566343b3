"""A corpus document's pairs: split, translated (or aligned with its target), paired and
flagged as ``sejajar translate`` does, as rows of the corpus's Parquet files. Documents go to the
model in windows (:mod:`sejajar.jobs.windows`, the same windows and the same failure policy as
``sejajar translate``). Used by the Ray actors of :mod:`corpus`, and testable without Ray
(:func:`run_shard` is a whole shard's work)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sejajar.align.pipeline import align_documents, pair_translations, to_translate
from sejajar.core.errors import SejajarError
from sejajar.core.language import document_language
from sejajar.core.pause import output_written
from sejajar.core.records import Document, ParallelDocument, render_signature, run_signature
from sejajar.jobs.shards import (
    Columns,
    CorpusDocument,
    PairRow,
    Shard,
    ShardResult,
    read_shard,
    write_shard,
)
from sejajar.jobs.windows import translate_each, windows
from sejajar.translate.engines import TranslatorSession
from sejajar.translate.glossary import Glossary, signed
from sejajar.translate.rules import EN_RULES
from sejajar.translate.split import split_document, splitter_id
from sejajar.translate.translator import Translation, TranslatorError

# What a signature says of an alignment made without the model.
NO_BRIDGE = (("bridge", "none"),)


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
    foreign: str = "keep"  # what becomes of sentences not in Indonesian (--foreign)
    # The document languages to pair (--languages); the others are skipped. Empty: all.
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Prepared:
    """A corpus document split for its window: the source segments it sends to the model
    (``chosen``: those to translate, or all of them as the bridge to its target), or why it
    failed. ``model``: it needs the model (for its signature, even with nothing to send)."""

    doc_id: str
    source: Document | None = None
    target: Document | None = None
    chosen: tuple[int, ...] = ()
    model: bool = False
    error: str | None = None
    language: str | None = None
    skipped: bool = False  # not in --languages
    foreign: str = "keep"

    @property
    def texts(self) -> tuple[str, ...]:
        doc = self.source
        return tuple(doc.segments[i].text for i in self.chosen) if doc is not None else ()


def prepare(doc: CorpusDocument, options: CorpusOptions) -> Prepared:
    """A document split, with what it sends to the model; one that fails, as its error."""
    try:
        if doc.error is not None or doc.text is None or not doc.text.strip():
            raise SejajarError(doc.error or f"no text in {options.columns.text!r}")
        source = split_document(doc.doc_id, doc.text)
        prose = [s.text for s in source.segments if s.kind.translated_by_default]
        language = document_language(prose)
        if options.languages and language not in options.languages:
            return Prepared(doc.doc_id, language=language, skipped=True)
        if doc.target is None:
            chosen = tuple(to_translate(source, options.keep_boilerplate, options.foreign))
            return Prepared(doc.doc_id, source, None, chosen, model=True, language=language,
                            foreign=options.foreign)  # fmt: skip
        target = split_document(doc.doc_id, doc.target, EN_RULES)
        every = tuple(range(len(source.segments))) if options.bridge else ()
        return Prepared(doc.doc_id, source, target, every, options.bridge, language=language)
    except Exception as exc:  # one bad document must not abort its shard or the dataset
        return Prepared(doc.doc_id, error=error_line(exc))


def corpus_pairs(
    docs: Iterable[CorpusDocument],
    translator: TranslatorSession,
    options: CorpusOptions,
    tally: list[int] | None = None,
) -> Iterator[list[PairRow]]:
    """Each document's rows, in order, its window's sentences sent to the model in one call.
    ``tally[0]`` grows by the number of segments handed to the model."""
    for window in windows(prepare(doc, options) for doc in docs):
        yield from window_pairs(window, translator, tally)


def window_pairs(
    window: Sequence[Prepared], translator: TranslatorSession, tally: list[int] | None = None
) -> list[list[PairRow]]:
    """Each document's rows: its pairs with text on both sides (as in ``sejajar translate``'s
    TSV), or one row saying why it failed. The model is loaded only for a window that needs it;
    a model that cannot be had is no document's fault: its :class:`TranslatorError` is
    raised (and fails the shard)."""
    tally = tally if tally is not None else [0]
    modelled = [item for item in window if item.model]
    found: Iterator[list[Translation] | TranslatorError] = iter(())
    settings: tuple[tuple[str, str], ...] = ()
    if modelled:
        engine = translator()
        texts = [item.texts for item in modelled]
        tally[0] += sum(map(len, texts))
        found = iter(translate_each(engine, texts))
        settings = engine.signature
    out = []
    for item in window:
        result = next(found) if item.model else []
        if item.skipped:
            out.append([_failed(item.doc_id, None, item.language)])
        elif item.error is not None or item.source is None:
            out.append([_failed(item.doc_id, item.error or "")])
        elif isinstance(result, TranslatorError):
            out.append([_failed(item.doc_id, f"cannot translate: {error_line(result)}")])
        else:
            out.append(_pairs(item, item.source, result, settings, translator.glossary))
    return out


def _pairs(
    item: Prepared,
    source: Document,
    result: list[Translation],
    settings: tuple[tuple[str, str], ...],
    glossary: Glossary | None,
) -> list[PairRow]:
    try:
        if item.target is None:
            signature = run_signature(splitter_id(), *settings)
            translated = dict(zip(item.chosen, result, strict=True))
            paired = pair_translations(
                source, translated, signature, item.foreign, glossary=glossary
            )
            return _rows(item.doc_id, item.language, paired)
        bridge = [t.text for t in result] if item.model else None
        splitter = f"{splitter_id()}/{splitter_id(EN_RULES)}"
        bridged = settings if item.model else NO_BRIDGE
        signature = run_signature(splitter, *signed(bridged, glossary))
        aligned = align_documents(source, item.target, bridge, signature, glossary=glossary)
        return _rows(item.doc_id, item.language, aligned)
    except Exception as exc:  # one bad document must not abort its shard or the dataset
        return [_failed(item.doc_id, error_line(exc))]


def document_pairs(
    doc: CorpusDocument,
    translator: TranslatorSession,
    options: CorpusOptions,
    tally: list[int] | None = None,
) -> list[PairRow]:
    """One document's rows, as it gets them in a window of its own."""
    (rows,) = window_pairs([prepare(doc, options)], translator, tally)
    return rows


def run_shard(
    shard: Shard,
    session: TranslatorSession,
    options: CorpusOptions,
    out_dir: Path,
    node: str = "",
) -> ShardResult:
    """A whole shard: its documents' pairs written to ``out_dir`` (Parquet, then the
    manifest), and what it did; a shard that cannot be read or written fails alone."""
    result = ShardResult(shard=shard.name, node=node)
    try:
        result.fingerprint = shard.fingerprint()
        before, rerouted = session.counts(0), session.rerouted
        tally = [0]  # segments handed to the model, which counts when there is no cache
        rows: list[PairRow] = []
        for doc_rows in corpus_pairs(read_shard(shard, options.columns), session, options, tally):
            result.documents += 1
            # A document may have no pair at all (only boilerplate): not a failure.
            gone = bool(doc_rows) and doc_rows[0]["pair"] == -1
            result.failed_documents += gone and doc_rows[0]["error"] is not None
            result.other_languages += gone and doc_rows[0]["error"] is None
            rows.extend(doc_rows)
        result.pairs = sum(1 for r in rows if r["pair"] >= 0)
        after = session.counts(tally[0])
        result.translated, result.cached, result.repeated = (
            now - then for now, then in zip(after, before, strict=True)
        )
        result.rerouted = session.rerouted - rerouted
        result.signature = next((r["signature"] for r in rows if r["signature"]), "")
        write_shard(out_dir, shard, rows, result)
        output_written()
    except Exception as exc:
        result.error = str(exc) if isinstance(exc, SejajarError) else error_line(exc)
    return result


def error_line(exc: Exception) -> str:
    """An exception as one line of a failed row, or of a failed shard."""
    return exc.naming(str) if isinstance(exc, SejajarError) else f"{type(exc).__name__}: {exc}"


def _rows(doc_id: str, language: str | None, doc: ParallelDocument) -> list[PairRow]:
    signature = render_signature(doc.signature)
    rows: list[PairRow] = []
    for link in doc.links:
        if not link.source or not link.target:
            continue
        rows.append(
            PairRow(
                doc_id=doc_id,
                language=language,
                pair=len(rows),
                source=doc.source_text(link),
                target=doc.target_text(link),
                kind=doc.kind(link).value,
                flags=[f.name for f in link.flags],
                confidence=link.score,
                signature=signature,
                error=None,
            )
        )
    return rows


def _failed(doc_id: str, error: str | None, language: str | None = None) -> PairRow:
    """A document's one row when it failed (``error``) or was skipped for its language."""
    return PairRow(
        doc_id=doc_id,
        language=language,
        pair=-1,
        source=None,
        target=None,
        kind=None,
        flags=[],
        confidence=None,
        signature=None,
        error=None if error is None else error[:1000],
    )
