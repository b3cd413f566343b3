"""The corpus job on Ray Data: shards of documents in, one Parquet file of pairs per shard out.

Each shard is one row of a Ray dataset, mapped by an actor pool (``map_batches`` with a callable
class and ``ActorPoolStrategy``): an actor loads the model once, with the CPUs Ray gave it as
its threads and a single worker (never a pool of its own), then turns whole shards into pairs
with the same splitter, model, caps, flags and cache as ``sejajar translate``, and the same
memory of the run: each actor translates a sentence it met before (in any shard) only once,
and sends a window of documents (:mod:`pairs`) to the model in one call.
A shard's outputs are written atomically by the actor, its manifest last, so a re-run skips
every shard whose manifest says done and redoes only the rest (mostly from the node's
translation cache).

:func:`pairs_dataset` is the same work for a pipeline of one's own: a dataset of documents in,
a dataset of pairs out. Ray is imported only here, and only when a job runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sejajar.core.files import remove_stale_temporaries
from sejajar.jobs.cluster import Cluster, die_with_parent, import_ray, pool_size, ray_session
from sejajar.jobs.counts import RunCounts
from sejajar.jobs.pairs import CorpusOptions, corpus_pairs, run_shard
from sejajar.jobs.shards import (
    PAIR_COLUMNS,
    CorpusDocument,
    Shard,
    ShardResult,
    is_done,
    shard_outputs,
)
from sejajar.translate.engines import ModelSettings, TranslatorSession


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
        return run_shard(shard, self.session, self.options, self.out_dir, self.node)

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
        docs = [
            CorpusDocument(
                str(ids[i]) if ids is not None else str(i),
                str(text) if isinstance(text, str) else None,
                str(targets[i]) if targets is not None and isinstance(targets[i], str) else None,
            )
            for i, text in enumerate(batch[columns.text])
        ]
        pairs = corpus_pairs(docs, self.session, self.options)
        rows = [row for doc_rows in pairs for row in doc_rows]
        return {name: [r[name] for r in rows] for name in PAIR_COLUMNS}  # type: ignore[literal-required]


def pairs_dataset(
    documents: Any,
    settings: ModelSettings,
    options: CorpusOptions = CorpusOptions(),
    cluster: Cluster | None = None,
    batch_size: int = 16,
) -> Any:
    """A ``ray.data.Dataset`` of pairs from one of documents (columns as ``options.columns``
    says: text, id, optional target). Each output row is a pair (``doc_id``, ``language``,
    ``pair``, ``source``, ``target``, ``kind``, ``flags``, ``confidence``, ``signature``), a
    failed document (``pair`` -1 and ``error``) or one skipped for its language (``pair`` -1,
    no error). Lazy, like any dataset: nothing runs until consumed."""
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


@dataclass(kw_only=True)
class CorpusSummary(RunCounts):
    """What a corpus run did: its shards, and the documents of those it ran (added up)."""

    shards: int
    skipped_shards: int = 0
    done_shards: int = 0
    failed_shards: int = 0
    other_languages: int = 0  # documents skipped for their language (--languages)

    def add_shard(self, result: ShardResult) -> None:
        if result.error:
            self.failed_shards += 1
            return
        self.done_shards += 1
        self.add(result)
        self.other_languages += result.other_languages

    def render(self) -> str:
        others = f", {self.other_languages} in other languages" if self.other_languages else ""
        return (
            f"shards: {self.done_shards} done, {self.skipped_shards} skipped, "
            f"{self.failed_shards} failed; {self.documents} documents "
            f"({self.failed_documents} failed{others}), {self.pairs} pairs; "
            f"{self.render_sentences()}"
        )


def shards_to_run(shards: Sequence[Shard], out_dir: Path, force: bool = False) -> list[Shard]:
    """The shards not done yet (all of them with ``force``). The temporary files a killed run
    left beside their outputs are removed; those of a run still writing are left alone (see
    :func:`~sejajar.core.files.remove_stale_temporaries`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [s for s in shards if force or not is_done(out_dir, s)]
    remove_stale_temporaries(shard_outputs(out_dir, todo))
    return todo


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
    todo = shards_to_run(shards, out_dir, force)
    summary = CorpusSummary(shards=len(shards), skipped_shards=len(shards) - len(todo))
    if not todo:
        return summary
    for result in _results(todo, out_dir, settings, options, cluster or Cluster()):
        summary.add_shard(result)
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
