"""The corpus job on Ray Data: shards of documents in, one Parquet file of pairs per shard out.

Each shard is one row of a Ray dataset, mapped by an actor pool (``map_batches`` with a callable
class and ``ActorPoolStrategy``): an actor loads the model once, with the CPUs Ray gave it as
its threads and a single worker (never a pool of its own), then turns whole shards into pairs
with the same splitter, model, caps, flags and cache as ``sejajar translate``, and the same
memory of the run: each actor translates a sentence it met before (in any shard) only once.
A shard's outputs are written atomically by the actor, its manifest last, so a re-run skips
every shard whose manifest says done and redoes only the rest (mostly from the node's
translation cache).

:func:`pairs_dataset` is the same work for a pipeline of one's own: a dataset of documents in,
a dataset of pairs out. Ray is imported only here, and only when a job runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sejajar.align.pipeline import align_documents, to_translate, translate_document
from sejajar.core.errors import SejajarError
from sejajar.core.records import ParallelDocument, render_signature, run_signature
from sejajar.jobs.cluster import Cluster, die_with_parent, import_ray, pool_size, ray_session
from sejajar.jobs.shards import (
    PAIR_COLUMNS,
    Columns,
    CorpusDocument,
    Shard,
    ShardResult,
    is_done,
    read_shard,
    remove_stale_temporaries,
    write_shard,
)
from sejajar.translate.engines import ModelSettings, TranslatorSession
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
        detail = (
            exc.naming(str) if isinstance(exc, SejajarError) else f"{type(exc).__name__}: {exc}"
        )
        return [_failed(doc.doc_id, detail)]


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


def _session(settings: ModelSettings, options: CorpusOptions) -> TranslatorSession:
    """A translator for this actor: the CPUs Ray assigned it as threads, one worker. The actor
    also ends with its raylet: when a driver that started a local Ray is killed, the raylet goes
    with it, and an actor left behind would hold a model's memory for nothing."""
    die_with_parent()
    assigned = import_ray().get_runtime_context().get_assigned_resources()
    threads = max(1, int(assigned.get("CPU", 1) or 1))
    return TranslatorSession(replace(settings, threads=threads, workers=1), options.cache)


class ShardWorker:
    """A Ray Data actor: turns shards (one per row) into Parquet files of pairs."""

    def __init__(self, settings: ModelSettings, options: CorpusOptions, out_dir: str) -> None:
        self.session = _session(settings, options)
        self.options = options
        self.out_dir = Path(out_dir)
        self.node = str(import_ray().get_runtime_context().get_node_id())

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        import pickle

        results = [self.run(pickle.loads(blob)) for blob in batch["shard"]]
        return {"result": [pickle.dumps(r) for r in results]}

    def run(self, shard: Shard) -> ShardResult:
        result = ShardResult(shard.name, node=self.node)
        try:
            result.fingerprint = shard.fingerprint()
            before = self.session.counts(0)
            tally = [0]  # segments handed to the model, which counts when there is no cache
            rows: list[dict[str, Any]] = []
            for doc in read_shard(shard, self.options.columns):
                doc_rows = document_pairs(doc, self.session, self.options, tally)
                result.documents += 1
                # A document may have no pair at all (only boilerplate): not a failure.
                result.failed += bool(doc_rows) and doc_rows[0]["pair"] == -1
                rows.extend(doc_rows)
            result.pairs = sum(1 for r in rows if r["pair"] >= 0)
            after = self.session.counts(tally[0])
            result.translated, result.cached, result.repeated = (
                now - then for now, then in zip(after, before, strict=True)
            )
            result.signature = next((r["signature"] for r in rows if r["signature"]), "")
            write_shard(self.out_dir, shard, rows, result)
        except Exception as exc:  # a shard that cannot be read or written fails alone
            detail = str(exc) if isinstance(exc, SejajarError) else f"{type(exc).__name__}: {exc}"
            result.error = detail
        return result

    def __del__(self) -> None:
        session = getattr(self, "session", None)
        if session is not None:
            session.close()


class DocumentWorker:
    """A Ray Data actor for :func:`pairs_dataset`: document rows in, pair rows out."""

    def __init__(self, settings: ModelSettings, options: CorpusOptions) -> None:
        self.session = _session(settings, options)
        self.options = options

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        columns = self.options.columns
        ids = batch.get(columns.id)
        targets = batch.get(columns.target) if columns.target else None
        rows: list[dict[str, Any]] = []
        for i, text in enumerate(batch[columns.text]):
            doc = CorpusDocument(
                str(ids[i]) if ids is not None else str(i),
                str(text) if isinstance(text, str) else None,
                str(targets[i]) if targets is not None and isinstance(targets[i], str) else None,
            )
            rows.extend(document_pairs(doc, self.session, self.options))
        return {name: [r[name] for r in rows] for name in PAIR_COLUMNS}


def pairs_dataset(
    documents: Any,
    settings: ModelSettings,
    options: CorpusOptions = CorpusOptions(),
    cluster: Cluster | None = None,
    batch_size: int = 16,
) -> Any:
    """A ``ray.data.Dataset`` of pairs from one of documents (columns as ``options.columns``
    says: text, id, optional target). Each output row is a pair (``doc_id``, ``pair``,
    ``source``, ``target``, ``kind``, ``flags``, ``confidence``, ``signature``) or a failed
    document (``pair`` -1 and ``error``). Lazy, like any dataset: nothing runs until consumed."""
    ray = import_ray()
    cluster = cluster or Cluster()
    return documents.map_batches(
        DocumentWorker,
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(**pool_size(cluster)),
        num_cpus=cluster.cpus_per_actor,
        num_gpus=cluster.gpus_per_actor or None,
        fn_constructor_kwargs={"settings": settings, "options": options},
    )


@dataclass
class CorpusSummary:
    shards: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    documents: int = 0
    failed_documents: int = 0
    pairs: int = 0
    translated: int = 0
    cached: int = 0
    repeated: int = 0

    def add(self, result: ShardResult) -> None:
        if result.error:
            self.failed += 1
            return
        self.done += 1
        self.documents += result.documents
        self.failed_documents += result.failed
        self.pairs += result.pairs
        self.translated += result.translated
        self.cached += result.cached
        self.repeated += result.repeated

    def render(self) -> str:
        return (
            f"shards: {self.done} done, {self.skipped} skipped, {self.failed} failed; "
            f"{self.documents} documents ({self.failed_documents} failed), {self.pairs} pairs; "
            f"{self.translated} sentences translated, {self.cached} from the cache, "
            f"{self.repeated} repeated in the run"
        )


def run_corpus(
    shards: Sequence[Shard],
    out_dir: Path,
    settings: ModelSettings,
    options: CorpusOptions = CorpusOptions(),
    cluster: Cluster | None = None,
    *,
    force: bool = False,
    on_result: Callable[[ShardResult], None] | None = None,
) -> CorpusSummary:
    """Run every shard not already done (all with ``force``) on Ray; ``on_result`` hears of
    each shard as it finishes. Starts a local Ray, or joins ``cluster.address``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [s for s in shards if force or not is_done(out_dir, s)]
    summary = CorpusSummary(len(shards), skipped=len(shards) - len(todo))
    if not todo:
        return summary
    remove_stale_temporaries(out_dir, todo)
    for result in _results(todo, out_dir, settings, options, cluster or Cluster()):
        summary.add(result)
        if on_result is not None:
            on_result(result)
    return summary


def _results(
    todo: Sequence[Shard],
    out_dir: Path,
    settings: ModelSettings,
    options: CorpusOptions,
    cluster: Cluster,
) -> Iterator[ShardResult]:
    import pickle

    with ray_session(cluster.address):
        ray = import_ray()
        items = [{"shard": pickle.dumps(s)} for s in todo]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardWorker,
            batch_size=1,
            # A task is a whole shard: nothing to gain from queueing more on one actor.
            compute=ray.data.ActorPoolStrategy(
                **pool_size(cluster), max_tasks_in_flight_per_actor=1
            ),
            num_cpus=cluster.cpus_per_actor,
            num_gpus=cluster.gpus_per_actor or None,
            fn_constructor_kwargs={
                "settings": settings,
                "options": options,
                "out_dir": str(out_dir.resolve()),
            },
        )
        for row in dataset.iter_rows():
            yield pickle.loads(row["result"])
