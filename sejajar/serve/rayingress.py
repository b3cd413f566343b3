"""The ingress of ``sejajar serve --ray`` (see :mod:`sejajar.serve.rayserve` for the shape): the
app of :func:`build_app` and its queue (:class:`SharedBatcher`, with its 503, cancelling,
repeats and metrics), with no model: each batch the queue forms goes to the model deployment
through a Ray Serve handle, one lane of the queue per model thread in the cluster. A batch
whose replica was lost is sent once more, then answered with a 503."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sejajar.core import language
from sejajar.serve.app import build_app, log_to_stderr
from sejajar.serve.batcher import Unavailable
from sejajar.serve.keys import Quota
from sejajar.serve.rayreplica import (
    MODEL_APP,
    REPLICA,
    Answer,
    Described,
    ReplicaSetup,
    import_serve,
    running_replicas,
)
from sejajar.serve.service import Service
from sejajar.translate.engines import TranslatorSession
from sejajar.translate.translator import Translation

LOST = "the replica holding the request was lost; retry"
log = logging.getLogger("sejajar.serve")


class RemoteService(Service):
    """The service whose model is the model deployment (``model``, its handle): the queue's
    ``lanes`` each send their batch there and wait for it; the metrics of the model's side
    (sentences, tokens, where translations came from) come back with each batch."""

    def __init__(self, setup: ReplicaSetup, described: Described, model: Any, lanes: int) -> None:
        # The session is never loaded here: it gives the model's settings and the glossary.
        super().__init__(TranslatorSession(setup.settings, False), setup.options)
        self.model = model
        self.signature = described.signature
        self.batcher.set_lanes([self._remote] * lanes)
        size = described.batch_size
        self.batcher.fill, self.batcher.most = (size, 2 * size if lanes > 1 else max(64, 4 * size))
        self._counts: dict[str, tuple[int, int, int]] = {}  # each replica's, ever
        self.loaded = True

    def load(self) -> None:
        """Only the language identifier: the model replicas loaded theirs before the ingress
        started."""
        language.load()

    def close(self) -> None:
        self.batcher.shutdown()

    async def _remote(self, texts: list[str]) -> list[Translation]:
        self.metrics.sentences.inc(len(texts))
        answer: Answer = await self._ask(self.model.translate, texts)
        self.metrics.tokens.inc(answer.tokens)
        self._counts[answer.replica] = answer.counts
        counts = list(self._counts.values())
        self.metrics.counts((sum(c[0] for c in counts), sum(c[1] for c in counts),
                             sum(c[2] for c in counts)))  # fmt: skip
        return answer.translations

    async def n_best(self, sentences: list[str], count: int) -> list[list[str]]:
        found: list[list[str]] = await self._ask(self.model.n_best, sentences, count)
        return found

    async def _ask(self, method: Any, *args: Any) -> Any:
        """``method``'s answer; sent once more when its replica is lost (Ray has marked it
        dead by then, so the second goes to another), then :class:`Unavailable`. The model's
        own errors (a :class:`TranslatorError`) are raised as they are."""
        from ray.exceptions import RayError, RayTaskError

        for attempt in range(2):
            try:
                return await method.remote(*args)
            except RayTaskError:
                raise
            except RayError:
                if attempt:
                    raise Unavailable(LOST) from None
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")


class Shared:
    """What the app of one ingress adds on Ray (:class:`sejajar.serve.app.Shared`): its own
    quota (one ingress sees every request), the model replicas for ``/health``."""

    def __init__(self, per_minute: int, model: Any) -> None:
        self.quota = Quota(per_minute)
        self.model = model
        self._replicas: tuple[float, int] = (0.0, 0)

    async def health(self) -> dict[str, Any]:
        """The model replicas running, and which one answered this check, on which node."""
        from ray.exceptions import RayError

        if time.monotonic() - self._replicas[0] > 1:  # the controller asked once a second
            self._replicas = (time.monotonic(), await asyncio.to_thread(running_replicas))
        try:
            where: dict[str, Any] = await asyncio.wait_for(self._where(), 5)
        except (TimeoutError, RayError):
            where = {"replica": None, "node": None}
        return {"replicas": self._replicas[1], **where}

    async def _where(self) -> dict[str, Any]:
        found: dict[str, Any] = await self.model.where.remote()
        return found

    async def metrics(self, own: bytes) -> bytes:
        return own


class Ingress:
    """The ingress deployment: the app, built by Ray Serve after the constructor, once the
    model replicas have said what the queue needs (:class:`Described`)."""

    def __init__(self, setup: ReplicaSetup, lanes: int) -> None:
        from sejajar.jobs.cluster import die_with_parent

        die_with_parent()  # the ingress of a local Ray ends with it
        log_to_stderr()  # the request lines, in the ingress's log
        self.setup, self.lanes = setup, lanes
        self.model = import_serve().get_deployment_handle(REPLICA, app_name=MODEL_APP)
        self.service: RemoteService | None = None

    async def __serve_build_asgi_app__(self) -> Any:
        described: Described = await self.model.describe.remote()
        for line in described.lines:
            log.info(line)
        self.service = RemoteService(self.setup, described, self.model, self.lanes)
        await asyncio.to_thread(self.service.load)
        shared = Shared(self.setup.options.chars_per_minute, self.model)
        return build_app(self.service, self.setup.keys, shared)

    def __del__(self) -> None:
        """After Ray Serve has drained the ingress and stopped the app's queue."""
        if getattr(self, "service", None) is not None:
            self.service.close()  # type: ignore[union-attr]
