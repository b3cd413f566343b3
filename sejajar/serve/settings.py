"""The service's own settings (the model's are :class:`ModelSettings`, shared with every
command): where it listens, what it accepts, how long things may take."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from sejajar.core.errors import SejajarError


class ServeError(SejajarError):
    """The service cannot start as asked (a public address with no keys, a bad key file)."""


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 5000  # LibreTranslate's
    # A file of API keys, one a line (or ``sha256:HEX`` of one); None: no keys, loopback only.
    api_keys: Path | None = None
    # Listen on a public address with no keys.
    insecure: bool = False
    # The most bytes in a request body (413 past it).
    max_body: int = 1_000_000
    # The most texts in one ``q`` list (400 past it).
    max_texts: int = 1000
    # The most sentences waiting for the model at once (503 and Retry-After past it).
    queue_size: int = 4096
    # How long the first sentence to arrive waits for others to share its batch, in seconds.
    batch_wait: float = 0.005
    # A request still unanswered after this many seconds gets 504.
    deadline: float = 60.0
    # Characters each key (or each client address, with no keys) may send per minute; 0: any.
    chars_per_minute: int = 0
    # Seconds that SIGTERM leaves queued work to finish before the server stops.
    grace: int = 30
    # Put the text of requests in the log lines (off: only their sizes).
    log_text: bool = False

    def check(self) -> None:
        """Raise :class:`ServeError` for settings the service refuses."""
        positive = {
            "max_body": self.max_body,
            "max_texts": self.max_texts,
            "queue_size": self.queue_size,
            "deadline": self.deadline,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ServeError(f"--{name.replace('_', '-')} must be positive, not {value}")
        if not 0 <= self.port <= 65535:
            raise ServeError(f"--port must be from 0 (any free one) to 65535, not {self.port}")
        if self.batch_wait < 0 or self.grace < 0 or self.chars_per_minute < 0:
            raise ServeError("--batch-wait-ms, --grace and --chars-per-minute cannot be negative")
        if self.api_keys is None and not self.insecure and not is_loopback(self.host):
            raise ServeError(
                f"--host {self.host} is reachable from other machines and no --api-keys file "
                "was given; give one, or --insecure to serve anyone who can reach it"
            )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address of this machine only (``localhost`` counts)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
