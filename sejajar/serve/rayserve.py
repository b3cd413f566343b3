"""``sejajar serve --ray``: the same app on Ray Serve replicas, past one machine.

Shape: one deployment whose every replica is a whole one-machine service: the ingress is the
app of :func:`build_app` itself (``@serve.ingress`` with the app built in the replica, after
the model has loaded), in front of its own :class:`Service`. So every route, limit, key rule,
error and log line is the same code as without Ray, and a request never crosses a second hop
inside the cluster (the proxy hands it straight to the replica that holds the model). A thin
ingress in front of model replicas would add that hop and a second serialisation of each
request's text and answer, and would move the checks away from the queue that answers 503.

Each replica runs the model with the CPUs Ray gave it as threads and one worker (no fork pool
inside a replica), as the corpus actors do; it batches with the service's own queue
(:class:`SharedBatcher`), not ``@serve.batch``: the queue is the one the one-machine service
measures and tests (its 503 past ``--queue-size``, a request cancelled when its client goes or
its deadline passes, repeats translated once, the batch and wait metrics), and it already
gathers the sentences of every request a replica holds, which ``@serve.batch`` would only
redo one level up. For that to happen, a replica accepts as many requests at once as its
queue holds sentences (``max_ongoing_requests``; Ray Serve's default of 5 would cap a batch
at 5 one-sentence requests).

What replicas share lives in :class:`Ledger`, a second deployment of one replica without
CPUs: the callers' quotas and each replica's metrics, so ``/metrics`` shows the whole service.
``/health`` adds how many replicas are running. Ray is imported only when ``--ray`` is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sejajar.core.errors import SejajarError
from sejajar.serve.app import build_app, log_to_stderr
from sejajar.serve.keys import Keys, Quota
from sejajar.serve.ledger import EVERY
from sejajar.serve.ledger import Ledger as LedgerState
from sejajar.serve.service import Service
from sejajar.serve.settings import RaySettings, ServeError, ServeSettings
from sejajar.translate.engines import ModelSettings, TranslatorSession

APP = "sejajar"
REPLICA = "sejajar-replica"
LEDGER = "sejajar-ledger"
# A replica that cannot load the model says why between these marks, for the command line.
_WHY = re.compile(r"<sejajar-error>(.*?)</sejajar-error>", re.DOTALL)


def import_serve() -> Any:
    try:
        from ray import serve
    except ImportError as exc:
        raise ServeError(
            "--ray needs Ray Serve, which is not installed: pip install 'sejajar[serve,ray]'"
        ) from exc
    return serve


# --- in the replicas ------------------------------------------------------------------------


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
            self._replicas = (time.monotonic(), await asyncio.to_thread(_running))
        return {"replicas": self._replicas[1], "replica": self.replica, "node": self.node}

    async def metrics(self, own: bytes) -> bytes:
        await self.ledger.report.remote(self.replica, own)
        found: bytes = await self.ledger.metrics.remote()
        return found


def _running() -> int:
    from ray.serve._private.common import ReplicaState

    serve = import_serve()
    app = serve.status().applications.get(APP)
    if app is None or REPLICA not in app.deployments:
        return 0
    return int(app.deployments[REPLICA].replica_states.get(ReplicaState.RUNNING, 0))


class Replica:
    """One replica: the model with the CPUs Ray gave it as threads, one worker, and the
    one-machine app in front of it (built by Ray Serve after the constructor)."""

    def __init__(
        self,
        settings: ModelSettings,
        cache: Path | bool,
        options: ServeSettings,
        keys: Keys,
        ledger: Any,
    ) -> None:
        import ray

        from sejajar.jobs.cluster import die_with_parent

        die_with_parent()  # a replica of a local Ray ends with it
        log_to_stderr()  # the request lines, in the replica's log on its node
        assigned = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
        threads = max(1, int(assigned.get("CPU", 1) or 1))
        session = TranslatorSession(replace(settings, threads=threads, workers=1), cache)
        self.service = Service(session, options)
        try:
            self.service.load()
            for line in [*session.info, *session.notices]:
                logging.getLogger("sejajar.serve").info(line)
        except SejajarError as exc:
            self.service.close()
            raise RuntimeError(f"<sejajar-error>{exc}</sejajar-error>") from None
        self.keys = keys
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


# --- in Ray Serve's proxy ------------------------------------------------------------------

# The most bytes of a body the proxy keeps to send again; a larger one is not retried.
RETRY_BODY = 4_000_000


def proxy_middlewares() -> list[Any]:
    """Ray Serve's proxy callback (``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH``)."""
    from starlette.middleware import Middleware

    return [Middleware(RetryLost)]


class RetryLost:
    """In the proxy: a request whose replica died before answering (the proxy would say a
    bare ``500 Internal Server Error``) goes once more to a live replica, and if that one
    cannot answer either, gets the service's 503 with ``Retry-After``. Translation has no
    side effects, so sending it twice is safe (a quota may count it twice)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more and size <= RETRY_BODY:
            message = await receive()
            if message["type"] != "http.request":  # gone before the body arrived
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        body = b"".join(chunks)
        gone = False

        async def replay() -> Any:
            nonlocal gone, more
            if not sent:
                sent.append(True)
                return {"type": "http.request", "body": body, "more_body": more}
            message = await receive()
            gone |= message["type"] == "http.disconnect"
            return message

        started = False

        async def watched(message: Any) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        for attempt in range(2 if not more else 1):
            sent: list[bool] = []
            with contextlib.suppress(Exception):
                await self.app(scope, replay, watched)
            if started or gone:
                return
            await asyncio.sleep(0.2 * (attempt + 1))  # Ray marks the dead replica meanwhile
        await _unavailable(send)


async def _unavailable(send: Any) -> None:
    import json

    body = json.dumps({"error": "Service unavailable: the replica holding the request "
                      "was lost; retry"}).encode()  # fmt: skip
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"1"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- in the command ------------------------------------------------------------------------


class RayService:
    """The service deployed on Ray for the length of a ``with`` block: joins (or starts) Ray,
    starts Ray Serve's proxy on ``host:port`` when this command starts Serve, deploys, and at
    the end deletes the app (its replicas drain first) and stops what it started."""

    def __init__(
        self,
        settings: ModelSettings,
        cache: Path | bool,
        options: ServeSettings,
        keys: Keys,
        cluster: RaySettings,
    ) -> None:
        self.settings, self.cache, self.options = settings, cache, options
        self.keys, self.cluster = keys, cluster
        self.started_ray = self.started_serve = False
        self.url = ""

    def __enter__(self) -> RayService:
        serve = import_serve()
        import ray

        address = self.cluster.ray or "auto"
        if address == "auto":
            address = os.environ.get("RAY_ADDRESS") or "auto"
        for name in ("ray", "ray.serve"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if not ray.is_initialized():
            _reachable(address)
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR, configure_logging=True)  # fmt: skip
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = {"local": "start a local Ray", "auto": "find a running Ray (--ray auto)"}
                doing = where.get(address, f"reach Ray at {address}")
                raise ServeError(f"cannot {doing}: {_first_line(exc)}") from None
            self.started_ray = True
        try:
            self._deploy(serve)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _deploy(self, serve: Any) -> None:
        host, port = self.options.host, self.options.port
        running = _serve_running()
        if running is not None and running != (host, port):
            raise ServeError(
                f"Ray Serve already runs on this cluster, listening on {running[0]}:"
                f"{running[1]}; give that --host and --port, or shut it down first"
            )
        if running is None:
            serve.start(
                proxy_location="HeadOnly",
                http_options={"host": host, "port": port},
                logging_config={"log_level": "WARNING", "enable_access_log": False},
                controller_options={"runtime_env": {"env_vars": _PROXY_ENV}},
            )
            self.started_serve = True
        ledger = serve.deployment(Ledger, name=LEDGER, num_replicas=1,
                                  ray_actor_options={"num_cpus": 0})  # fmt: skip
        ingress = serve.deployment(
            serve.ingress()(Replica),
            name=REPLICA,
            # OpenMP threads that spin while they wait starve Ray's own processes on the
            # replica's cores: a replica's threads sleep when they have nothing to do.
            ray_actor_options={
                "num_cpus": self.cluster.replica_cpus,
                "runtime_env": {"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}},
            },
            max_ongoing_requests=self.options.queue_size,
            graceful_shutdown_timeout_s=self.options.grace,
            graceful_shutdown_wait_loop_s=0.5,
            max_constructor_retry_count=2,
            **self.cluster.scaling(),
        )
        app = ingress.bind(self.settings, self.cache, self.options, self.keys,
                           ledger.bind(self.options.chars_per_minute))  # fmt: skip
        try:
            serve.run(app, name=APP, route_prefix="/", blocking=False)
        except RuntimeError as exc:
            why = _WHY.search(str(exc))
            raise ServeError(why.group(1) if why else _first_line(exc)) from None
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"

    def running(self) -> bool:
        """Whether the app is still deployed (``serve shutdown`` or ``serve.delete`` may have
        removed it from elsewhere)."""
        try:
            return APP in import_serve().status().applications
        except Exception:
            return False

    def replicas(self) -> int:
        return _running()

    def __exit__(self, *exc: object) -> None:
        import ray

        serve = import_serve()
        try:
            if ray.is_initialized():
                with contextlib.suppress(Exception):
                    serve.delete(APP)  # waits for the replicas to drain (up to --grace)
                if self.started_serve:
                    with contextlib.suppress(Exception):
                        serve.shutdown()
        finally:
            if self.started_ray:
                ray.shutdown()


# The proxy (started by the controller, whose environment it inherits): the retry above, and
# requests spread over every replica by their queues, not kept on the proxy's own node until
# its replicas are full (they take --queue-size requests each).
_PROXY_ENV = {
    "RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH": f"{__name__}.proxy_middlewares",
    "RAY_SERVE_PROXY_PREFER_LOCAL_NODE_ROUTING": "0",
    "RAY_SERVE_PROXY_PREFER_LOCAL_AZ_ROUTING": "0",
}


def _serve_running() -> tuple[str, int] | None:
    """Where a Ray Serve already running on the cluster listens; None when there is none."""
    import ray
    from ray.serve._private.constants import SERVE_CONTROLLER_NAME, SERVE_NAMESPACE

    try:
        controller = ray.get_actor(SERVE_CONTROLLER_NAME, namespace=SERVE_NAMESPACE)
    except ValueError:
        return None
    config: Any = ray.get(controller.get_http_config.remote())
    return str(config.host), int(config.port)


def _reachable(address: str) -> None:
    """Refuse a cluster's ``host:port`` that does not answer (``ray.init`` would retry it
    for minutes)."""
    import socket

    if address in ("auto", "local") or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except ValueError:
        raise ServeError(f"--ray {address}: not auto, local or HOST:PORT") from None
    except OSError as exc:
        raise ServeError(f"cannot reach Ray at {address}: {exc.strerror or exc}") from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
