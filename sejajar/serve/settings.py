"""The service's own settings (the model's are :class:`ModelSettings`, shared with every
command): where it listens, what it accepts, how long things may take. Each is declared once,
with its default, description and rule (:mod:`sejajar.core.settings`); ``sejajar serve``
builds its options from them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sejajar.core.errors import SejajarError
from sejajar.core.settings import FOREIGN, About, check_all, setting


class ServeError(SejajarError):
    """The service cannot start as asked (a public address with no keys, a bad key file)."""


@dataclass(frozen=True)
class ServeSettings:
    host: str = setting("127.0.0.1", About("Address to listen on (a public one needs {api_keys})."))
    port: int = setting(5000, About("Port (0: any free one).", least=0, most=65535))
    api_keys: Path | None = setting(  # noqa: RUF009 (a field with its About, as the others)
        None, About("File of API keys, one a line (or sha256:HEX of one).", unset="none")
    )
    insecure: bool = setting(False, About("Allow a public {host} with no {api_keys}."))
    max_body: int = setting(1_000_000, About("Largest request body, in bytes.", least=1))
    max_texts: int = setting(1000, About("Most texts in one q list.", least=1))
    queue_size: int = setting(4096, About("Most sentences waiting (then 503).", least=1))
    batch_wait_ms: float = setting(
        5.0, About("How long sentences wait for company when several clients are about.", least=0)
    )
    deadline: float = setting(60.0, About("Seconds before a request gets 504.", least=0.001))
    chars_per_minute: int = setting(
        0, About("Characters per minute per key or client (0: any).", least=0)
    )
    grace: int = setting(30, About("Seconds SIGTERM leaves queued work to finish.", least=0))
    log_text: bool = setting(False, About("Put requests' texts in the log lines."))
    foreign: str = setting("keep", FOREIGN)

    def __post_init__(self) -> None:
        check_all(self, ServeError)
        if self.api_keys is None and not self.insecure and not is_loopback(self.host):
            raise ServeError(
                f"{{host}} {self.host} is reachable from other machines and no {{api_keys}} "
                "file was given; give one, or {insecure} to serve anyone who can reach it"
            )


@dataclass(frozen=True)
class RaySettings:
    """Where ``sejajar serve --ray`` runs its replicas and how many: ``replicas`` of them, or
    (with ``min_replicas`` or ``max_replicas``) as many as the requests each holds call for."""

    ray: str | None = setting(
        None,
        About(
            "Serve on Ray Serve replicas: auto (RAY_ADDRESS or this machine's Ray), local (a "
            "new Ray here), or a cluster's address.",
            unset="not on Ray",
        ),
    )
    replicas: int | None = setting(None, About("Replicas on Ray.", least=1, unset="1"))
    min_replicas: int | None = setting(
        None, About("Autoscale on Ray from this many.", least=1, unset="none")
    )
    max_replicas: int | None = setting(
        None, About("Autoscale on Ray up to this many.", least=1, unset="none")
    )
    replica_cpus: float = setting(1.0, About("CPUs of each replica on Ray.", least=0.01))

    def __post_init__(self) -> None:
        check_all(self, ServeError)
        if self.ray is None and (self.replicas is not None or self.autoscaling):
            raise ServeError("{replicas}, {min_replicas} and {max_replicas} are for {ray}")
        if self.autoscaling and self.replicas is not None:
            raise ServeError("give {replicas}, or {min_replicas} and {max_replicas}, not both")
        low, high = self.min_replicas or 1, self.max_replicas or max(self.min_replicas or 1, 1)
        if low > high:
            raise ServeError(f"{{min_replicas}} {low} is more than {{max_replicas}} {high}")

    @property
    def autoscaling(self) -> bool:
        return self.min_replicas is not None or self.max_replicas is not None

    @property
    def most_replicas(self) -> int:
        """The most replicas there may be."""
        if not self.autoscaling:
            return self.replicas or 1
        return self.max_replicas or self.min_replicas or 1

    def scaling(self, target: int) -> dict[str, Any]:
        """The deployment's options for its count of replicas; ``target``: the requests
        (batches) a replica should hold for the autoscaler to be content."""
        if not self.autoscaling:
            return {"num_replicas": self.replicas or 1}
        low = self.min_replicas or 1
        return {"autoscaling_config": {"min_replicas": low, "max_replicas": self.most_replicas,
                "target_ongoing_requests": target}}  # fmt: skip


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address of this machine only (``localhost`` counts)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
