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

import contextlib
import logging
import os
from typing import Any

from sejajar.serve.rayingress import Ingress
from sejajar.serve.rayreplica import (
    APP,
    INGRESS,
    MODEL_APP,
    REPLICA,
    REPLICA_ERROR,
    Model,
    ReplicaSetup,
    import_serve,
    running_replicas,
)
from sejajar.serve.settings import RaySettings, ServeError


class RayService:
    """The service deployed on Ray for the length of a ``with`` block: joins (or starts) Ray,
    starts Ray Serve's proxy on ``host:port`` when this command starts Serve, deploys, and at
    the end deletes the app (its replicas drain first) and stops what it started."""

    def __init__(self, setup: ReplicaSetup, cluster: RaySettings) -> None:
        self.setup, self.options, self.cluster = setup, setup.options, cluster
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
        threads = max(1, int(self.cluster.replica_cpus))  # a replica's lanes
        model = serve.deployment(
            Model,
            name=REPLICA,
            # OpenMP threads that spin while they wait starve Ray's own processes on the
            # replica's cores: a replica's threads sleep when they have nothing to do.
            ray_actor_options={
                "num_cpus": self.cluster.replica_cpus,
                "runtime_env": {"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}},
            },
            # A batch a lane, and the next ones at hand when a lane ends.
            max_ongoing_requests=threads + 2,
            graceful_shutdown_timeout_s=self.options.grace,
            graceful_shutdown_wait_loop_s=0.5,
            max_constructor_retry_count=2,
            **self.cluster.scaling(target=threads),
        )
        ingress = serve.deployment(
            serve.ingress()(Ingress),
            name=INGRESS,
            num_replicas=1,
            ray_actor_options={"num_cpus": 0},
            max_ongoing_requests=self.options.queue_size,
            graceful_shutdown_timeout_s=self.options.grace,
            graceful_shutdown_wait_loop_s=0.5,
            max_constructor_retry_count=2,
        )
        lanes = threads * (self.cluster.max_replicas or self.cluster.replicas or 1)
        try:  # the model first: the ingress asks it for what its queue needs
            serve.run(model.bind(self.setup), name=MODEL_APP, route_prefix=None)
            serve.run(ingress.bind(self.setup, lanes), name=APP, route_prefix="/")
        except RuntimeError as exc:
            why = REPLICA_ERROR.search(str(exc))
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
        return running_replicas()

    def __exit__(self, *exc: object) -> None:
        import ray

        serve = import_serve()
        try:
            if ray.is_initialized():
                # The ingress drains first (up to --grace), while the model still answers it.
                for app in (APP, MODEL_APP):
                    with contextlib.suppress(Exception):
                        serve.delete(app)
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
    "RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH": "sejajar.serve.rayproxy.proxy_middlewares",
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
