"""Ray for the corpus job: where it runs (:class:`Cluster`), joining or starting Ray for the
length of a job, the actor pool's size, and actors that end with their raylet. Ray is imported
only when one of these is called."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any

from sejajar.core.errors import SejajarError


class CorpusError(SejajarError):
    """The corpus job cannot run (Ray missing or unreachable, nothing to do)."""


@dataclass(frozen=True)
class Cluster:
    """Where and how wide the job runs."""

    address: str | None = None  # None: RAY_ADDRESS if set, else a local Ray on this machine
    actors: int | None = None  # None: as many as the cluster's CPUs allow
    cpus_per_actor: float = 1
    gpus_per_actor: float = 0


def pool_size(cluster: Cluster) -> dict[str, int]:
    """``ActorPoolStrategy``'s size arguments for ``cluster``."""
    if cluster.actors is not None:
        return {"size": cluster.actors}
    cpus = import_ray().cluster_resources().get("CPU", 1)
    return {"min_size": 1, "max_size": max(1, int(cpus // max(cluster.cpus_per_actor, 1e-9)))}


def die_with_parent() -> None:
    """End this process when its parent (a Ray worker's raylet) ends."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere Ray's own reaping
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class ray_session:
    """Ray for the length of a job: joins ``address`` (or ``RAY_ADDRESS``), else starts a local
    Ray on this machine's cores; shuts down only what it started. Ray's own chatter is kept to
    warnings and its progress bars off (the job reports each shard itself)."""

    def __init__(self, address: str | None) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.started = False

    def __enter__(self) -> ray_session:
        ray = import_ray()
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if not ray.is_initialized():
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    logging_level=logging.ERROR,
                    log_to_driver=False,
                    configure_logging=True,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local Ray"
                raise CorpusError(f"cannot start or reach {where}: {exc}") from exc
            self.started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            import_ray().shutdown()


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise CorpusError(
            "the corpus job runs on Ray, which is not installed: pip install 'sejajar[ray]'"
        ) from exc
    return ray
