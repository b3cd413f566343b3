"""``sejajar serve --ray``: the same app on Ray Serve, its model on replicas past one machine.

Shape: two deployments, as the one-machine server is two kinds of process. The ingress
(:mod:`sejajar.serve.rayingress`, one replica, no CPU of its own) is the app of
:func:`build_app` with its queue (:class:`SharedBatcher`: its 503 past ``--queue-size``, a
request cancelled when its client goes or its deadline passes, repeats translated once, the
batch and wait metrics), so every route, limit, key rule, error, log line and metric is the
same code as without Ray, and one ingress holds the callers' quotas and the whole service's
``/metrics``. It has no model: each *batch* its queue forms (not each request) goes through a
Ray Serve handle to the model deployment (:mod:`sejajar.serve.rayreplica`, ``--replicas N``
or autoscaled on the batches each holds), whose replicas only translate, with the CPUs Ray
gave them as threads (a lane of one torch thread per CPU, no fork pool, as the corpus actors
do). The queue has a lane per model thread in the cluster (at most replicas times CPUs), each
sending its batch as soon as the previous one is back.

Why not one deployment whose replicas are each a whole service (the earlier shape): there the
model's threads shared one process, and its GIL, with the ASGI handling, the queue, Ray's
replica machinery and its metrics; at the same model work (one thread each) such a replica
spent 39.6 CPU seconds where the one-worker server's processes spent 29.9 (Ray's own
processes under 10% of the gap), 22-31% slower. The split costs a second hop per batch inside
the cluster (tens of sentences, a few kilobytes), not per request. The queue is the service's,
not ``@serve.batch`` (docs/performance.md#ray-serve compares the two).

The model and the ingress are two applications (the model's without a route), so that on
SIGTERM the ingress drains first while the model still answers it. A model replica lost under
load: the ingress sends its batch once more (to a live replica), then answers 503; the
proxy's middleware (:mod:`sejajar.serve.rayproxy`) does the same for a lost ingress.
``/health`` adds how many model replicas run and which one answered the check. Ray is
imported only when ``--ray`` is used.
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
    the end deletes the ingress (it drains first), then the model, and stops what it
    started."""

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
                local = LOCAL_RAY if address == "local" else {"include_dashboard": False}
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR,
                         configure_logging=True, **local)  # fmt: skip
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
                controller_options={"runtime_env": {"env_vars": self._controller_env()}},
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
            # A batch a lane (the ingress has as many lanes), and room for /health's check.
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
        lanes = threads * self.cluster.most_replicas
        try:  # the model first: the ingress asks it for what its queue needs
            serve.run(model.bind(self.setup), name=MODEL_APP, route_prefix=None)
            serve.run(ingress.bind(self.setup, lanes), name=APP, route_prefix="/")
        except RuntimeError as exc:
            why = REPLICA_ERROR.search(str(exc))
            raise ServeError(why.group(1) if why else _first_line(exc)) from None
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"

    def _controller_env(self) -> dict[str, str]:
        """The controller's environment (the proxy's too): on a local Ray (only the service
        runs there), the lighter control loop as well."""
        local = self.cluster.ray == "local"
        return {**_PROXY_ENV, **(_LOCAL_CONTROLLER_ENV if local else {})}

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


# Ray as ``--ray local`` starts it, only for this service (a cluster joined with ``--ray auto``
# or ``HOST:PORT`` keeps its own settings). On a machine whose cores the model uses, Ray's
# idle work is the service's loss (docs/performance.md#ray-serve has what each cut saves).
LOCAL_RAY: dict[str, Any] = {
    "include_dashboard": False,
    "_system_config": {
        # Ray's own metrics (the service's are its /metrics) and task events (the state
        # API's task list): neither recorded nor sent on. Together: the dashboard agent's idle
        # CPU less than half, the GCS's down a quarter.
        "enable_metrics_collection": False,
        "task_events_report_interval_ms": 0,
    },
}
# The Serve controller on such a Ray: its control loop twice a second, not ten times (its
# idle CPU and the GCS's about halved; a lost replica noticed up to 0.4 s later).
_LOCAL_CONTROLLER_ENV = {"RAY_SERVE_CONTROL_LOOP_INTERVAL_S": "0.5"}


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
