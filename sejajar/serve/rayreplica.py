"""In the replicas of ``sejajar serve --ray`` (see :mod:`sejajar.serve.rayserve` for the shape):
each replica is a whole one-machine service, the app of :func:`build_app` in front of its own
:class:`Service`; the :class:`Ledger` deployment keeps what replicas share (quotas, metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sejajar.core.errors import SejajarError
from sejajar.serve.app import build_app, log_to_stderr
from sejajar.serve.keys import Keys, Quota
from sejajar.serve.ledger import EVERY
from sejajar.serve.ledger import Ledger as LedgerState
from sejajar.serve.service import Service
from sejajar.serve.settings import ServeError, ServeSettings
from sejajar.translate.engines import ModelSettings, TranslatorSession

APP = "sejajar"
REPLICA = "sejajar-replica"
LEDGER = "sejajar-ledger"
# A replica that cannot load the model says why between these marks, for the command line.
REPLICA_ERROR = re.compile(r"<sejajar-error>(.*?)</sejajar-error>", re.DOTALL)


def import_serve() -> Any:
    try:
        from ray import serve
    except ImportError as exc:
        raise ServeError(
            "--ray needs Ray Serve, which is not installed: pip install 'sejajar[serve,ray]'"
        ) from exc
    return serve


class Ledger:
    """The deployment of :class:`sejajar.serve.ledger.Ledger` (one replica, no CPU)."""

    def __init__(self, chars_per_minute: int) -> None:
        self.state = LedgerState(chars_per_minute)

    def take(self, caller: str, chars: int, now: float) -> float | None:
        return self.state.take(caller, chars, now)

    def report(self, replica: str, text: bytes) -> None:
        self.state.report(replica, text)

    def metrics(self) -> bytes:
        return self.state.metrics()


class SharedQuota(Quota):
    """The quota kept in the ledger, for every replica."""

    def __init__(self, per_minute: int, ledger: Any) -> None:
        super().__init__(per_minute)
        self.ledger = ledger

    async def reserve(self, caller: str, chars: int) -> float | None:
        if not self.per_minute:
            return None
        found: float | None = await self.ledger.take.remote(caller, chars, time.time())
        return found


class Shared:
    """What a replica's app shares with the others (:class:`sejajar.serve.app.Shared`)."""

    def __init__(self, per_minute: int, ledger: Any, replica: str, node: str) -> None:
        self.quota = SharedQuota(per_minute, ledger)
        self.ledger, self.replica, self.node = ledger, replica, node
        self._replicas: tuple[float, int] = (0.0, 0)

    async def health(self) -> dict[str, Any]:
        """The replicas running, and which one answers (``queue`` and ``busy`` are its)."""
        if time.monotonic() - self._replicas[0] > 1:  # the controller asked once a second
            self._replicas = (time.monotonic(), await asyncio.to_thread(running_replicas))
        return {"replicas": self._replicas[1], "replica": self.replica, "node": self.node}

    async def metrics(self, own: bytes) -> bytes:
        await self.ledger.report.remote(self.replica, own)
        found: bytes = await self.ledger.metrics.remote()
        return found


def running_replicas() -> int:
    from ray.serve._private.common import ReplicaState

    serve = import_serve()
    app = serve.status().applications.get(APP)
    if app is None or REPLICA not in app.deployments:
        return 0
    return int(app.deployments[REPLICA].replica_states.get(ReplicaState.RUNNING, 0))


@dataclass(frozen=True)
class ReplicaSetup:
    """What every replica is built from: the model's settings, the cache, the service's
    settings and the callers' keys."""

    settings: ModelSettings
    cache: Path | bool
    options: ServeSettings
    keys: Keys


class Replica:
    """One replica: the model with the CPUs Ray gave it as threads (a lane of one thread per
    CPU, see :func:`thread_lanes`; no worker processes), and the one-machine app in front of
    it (built by Ray Serve after the constructor)."""

    def __init__(self, setup: ReplicaSetup, ledger: Any) -> None:
        import ray

        from sejajar.jobs.cluster import die_with_parent

        die_with_parent()  # a replica of a local Ray ends with it
        log_to_stderr()  # the request lines, in the replica's log on its node
        assigned = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
        threads = max(1, int(assigned.get("CPU", 1) or 1))
        model = replace(setup.settings, threads=threads, workers=1)
        session = TranslatorSession(model, setup.cache)
        self.service = Service(session, setup.options, threads=threads)
        try:
            self.service.load()
            for line in [*session.info, *session.notices]:
                logging.getLogger("sejajar.serve").info(line)
        except SejajarError as exc:
            self.service.close()
            raise RuntimeError(f"<sejajar-error>{exc}</sejajar-error>") from None
        self.keys = setup.keys
        self.ledger = ledger
        self.name = import_serve().get_replica_context().replica_id.unique_id
        self.node = str(ray.get_runtime_context().get_node_id())
        self._reporting: asyncio.Task[None] | None = None

    async def __serve_build_asgi_app__(self) -> Any:
        per_minute = self.service.settings.chars_per_minute
        shared = Shared(per_minute, self.ledger, self.name, self.node)
        self._reporting = asyncio.create_task(self._report())
        return build_app(self.service, self.keys, shared)

    async def _report(self) -> None:
        """Send this replica's metrics to the ledger every :data:`EVERY` seconds."""
        while True:
            with contextlib.suppress(Exception):  # the ledger being replaced: the next time
                await self.ledger.report.remote(self.name, self.service.metrics.render()[0])
            await asyncio.sleep(EVERY)

    def __del__(self) -> None:
        """After Ray Serve has drained the replica and stopped the app's queue."""
        if getattr(self, "_reporting", None) is not None:
            self._reporting.cancel()  # type: ignore[union-attr]
        if hasattr(self, "service"):
            self.service.close()
