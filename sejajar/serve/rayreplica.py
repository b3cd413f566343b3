"""The model replicas of ``sejajar serve --ray`` (see :mod:`sejajar.serve.rayserve` for the
shape): each holds the model with the CPUs Ray gave it as threads (a lane of one torch thread
per CPU over one copy of the weights, :func:`thread_lanes`; no worker processes) and translates
the batches the ingress's queue sends it, each in a free lane. No HTTP, no queue of its own."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from sejajar.core.errors import SejajarError
from sejajar.core.records import Signature
from sejajar.serve.app import log_to_stderr
from sejajar.serve.keys import Keys
from sejajar.serve.lanes import one_thread, thread_lanes
from sejajar.serve.settings import ServeError, ServeSettings
from sejajar.translate.engines import ModelSettings, TranslatorSession
from sejajar.translate.translator import Translation

T = TypeVar("T")
APP = "sejajar"  # the ingress's application (route "/")
MODEL_APP = "sejajar-model"  # the model's, without a route: removed after the ingress drained
INGRESS = "sejajar-ingress"
REPLICA = "sejajar-replica"
# A replica that cannot load the model says why between these marks, for the command line.
REPLICA_ERROR = re.compile(r"<sejajar-error>(.*?)</sejajar-error>", re.DOTALL)
log = logging.getLogger("sejajar.serve")


def import_serve() -> Any:
    try:
        from ray import serve
    except ImportError as exc:
        raise ServeError(
            "--ray needs Ray Serve, which is not installed: pip install 'sejajar[serve,ray]'"
        ) from exc
    return serve


def running_replicas() -> int:
    """The model replicas running."""
    from ray.serve._private.common import ReplicaState

    app = import_serve().status().applications.get(MODEL_APP)
    if app is None or REPLICA not in app.deployments:
        return 0
    return int(app.deployments[REPLICA].replica_states.get(ReplicaState.RUNNING, 0))


@dataclass(frozen=True)
class ReplicaSetup:
    """What the deployments are built from: the model's settings, the cache, the service's
    settings and the callers' keys."""

    settings: ModelSettings
    cache: Path | bool
    options: ServeSettings
    keys: Keys


@dataclass(frozen=True)
class Described:
    """What the ingress needs of the model: its signature (for records), its batch size (the
    queue's fill) and what the user should be told about its load."""

    signature: Signature
    batch_size: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A batch's translations, with the replica's running counts for the metrics: its
    (translated, from the cache, repeated) sentences and the batch's model input tokens."""

    replica: str
    translations: list[Translation]
    counts: tuple[int, int, int]
    tokens: int


class Model:
    """One model replica: its lanes, each a session in a thread of its own; a batch takes a
    free lane (the ingress sends no more batches than the cluster has lanes, but Ray Serve's
    router may send one replica more than its share: they wait for a lane)."""

    def __init__(self, setup: ReplicaSetup) -> None:
        import ray

        from sejajar.jobs.cluster import die_with_parent

        die_with_parent()  # a replica of a local Ray ends with it
        log_to_stderr()  # the cache's warnings, in the replica's log on its node
        assigned = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
        threads = max(1, int(assigned.get("CPU", 1) or 1))
        session = TranslatorSession(replace(setup.settings, threads=threads, workers=1),
                                    setup.cache)  # fmt: skip
        self.executors = [ThreadPoolExecutor(1, thread_name_prefix="sejajar-lane-0")]
        try:
            translator = self.executors[0].submit(session).result()
            self.lanes = self.executors[0].submit(thread_lanes, session, threads).result()
        except SejajarError as exc:
            self.executors[0].submit(session.close).result()
            self.executors[0].shutdown()
            raise RuntimeError(f"<sejajar-error>{exc}</sejajar-error>") from None
        self.executors += [ThreadPoolExecutor(1, thread_name_prefix=f"sejajar-lane-{n}")
                           for n in range(1, len(self.lanes))]  # fmt: skip
        if len(self.lanes) > 1:  # lanes in this process: one torch thread each
            for executor in self.executors:
                executor.submit(one_thread).result()
        self.described = Described(translator.signature, translator.batch_size,
                                   tuple([*session.info, *session.notices]))  # fmt: skip
        self.name = import_serve().get_replica_context().replica_id.unique_id
        self.node = str(ray.get_runtime_context().get_node_id())
        self._free: asyncio.Queue[int] | None = None

    def describe(self) -> Described:
        return self.described

    def where(self) -> dict[str, str]:
        """Which replica answers, on which node (for ``/health``)."""
        return {"replica": self.name, "node": self.node}

    async def translate(self, texts: list[str]) -> Answer:
        """A batch's translations, in a free lane."""
        return await self._in_lane(self._work, texts)

    async def n_best(self, sentences: list[str], count: int) -> list[list[str]]:
        from sejajar.translate.alternatives import n_best

        return await self._in_lane(lambda lane: n_best(self.lanes[lane](), sentences, count))

    async def _in_lane(self, function: Callable[..., T], *args: Any) -> T:
        if self._free is None:
            self._free = asyncio.Queue()
            for lane in range(len(self.lanes)):
                self._free.put_nowait(lane)
        lane = await self._free.get()
        try:
            loop = asyncio.get_running_loop()
            found: T = await loop.run_in_executor(self.executors[lane], function, lane, *args)
            return found
        finally:
            self._free.put_nowait(lane)

    def _work(self, lane: int, texts: list[str]) -> Answer:
        """In a lane's thread: one call to the model for a batch."""
        session = self.lanes[lane]
        translator = session()
        tokenizer = getattr(session.loaded, "tokenizer", None)
        tokens = sum(map(len, tokenizer(texts)["input_ids"])) if tokenizer is not None else 0
        done = translator.translate(texts)
        counts = [one.counts() for one in self.lanes]
        for notice in session.notices:  # the cache failed and is off, say
            log.warning(json.dumps({"warning": str(SejajarError(notice))}))
        session.notices.clear()
        total = (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts))
        return Answer(self.name, done, total, tokens)

    def __del__(self) -> None:
        """After Ray Serve has drained the replica."""
        for lane, executor in enumerate(getattr(self, "executors", [])):
            if lane < len(getattr(self, "lanes", [])):
                executor.submit(self.lanes[lane].close)
            executor.shutdown(wait=True)
