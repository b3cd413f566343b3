"""API keys and quotas. Keys are kept hashed (SHA-256) and a presented key's hash is compared
with every stored one in constant time, so neither memory nor timing gives a key away. The
key file holds a key a line, or ``sha256:HEX`` (a key's hash, so the file itself need not
hold the keys); blank lines and ``#`` comments are skipped."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import defaultdict
from pathlib import Path

from sejajar.serve.settings import ServeError


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class Keys:
    """The keys a server accepts; an empty set accepts any caller (no key file)."""

    def __init__(self, hashes: list[str]) -> None:
        self.hashes = hashes

    @classmethod
    def read(cls, path: Path | None) -> Keys:
        """The keys of ``path`` (None: no keys). Raises :class:`ServeError` naming the line."""
        if path is None:
            return cls([])
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeError(f"--api-keys {path}: cannot read it ({exc})") from exc
        hashes = []
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("sha256:"):
                value = line.removeprefix("sha256:").lower()
                if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
                    raise ServeError(f"--api-keys {path}, line {number}: not a SHA-256 hash")
                hashes.append(value)
            elif len(line) < 16:
                raise ServeError(
                    f"--api-keys {path}, line {number}: a key needs at least 16 characters"
                )
            else:
                hashes.append(digest(line))
        if not hashes:
            raise ServeError(f"--api-keys {path} holds no key")
        return cls(hashes)

    @property
    def required(self) -> bool:
        return bool(self.hashes)

    def check(self, key: str | None) -> str | None:
        """The short id of a valid ``key`` (its hash's first 12 digits, for logs and quotas),
        or None when it is not one of the keys."""
        if not key:
            return None
        presented = digest(key)
        found = False
        for stored in self.hashes:  # every one compared, so the time tells nothing
            found |= hmac.compare_digest(presented, stored)
        return presented[:12] if found else None


class Quota:
    """Characters each caller may send per minute (0: any), counted in the current minute and
    the one before it, weighted by how much of that one is still in the last 60 seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        # caller -> (minute, characters in it, characters in the minute before)
        self._minutes: dict[str, tuple[int, int, int]] = defaultdict(lambda: (0, 0, 0))
        self._pruned = 0

    def take(self, caller: str, chars: int, now: float | None = None) -> float | None:
        """Count ``chars`` for ``caller``; None when within the quota, else the seconds to
        wait before the request would fit (nothing is counted then)."""
        if not self.per_minute:
            return None
        now = time.time() if now is None else now
        minute, into = int(now // 60), (now % 60) / 60
        current, count, before = self._minutes[caller]
        if current != minute:
            before = count if current == minute - 1 else 0
            current, count = minute, 0
        used = count + before * (1 - into)
        if used + chars > self.per_minute:
            return max(1.0, 60 * (1 - into))
        if minute != self._pruned:  # once a minute, callers gone quiet are forgotten
            self._pruned = minute
            for k in [k for k, (m, _, _) in self._minutes.items() if m < minute - 1]:
                del self._minutes[k]
        self._minutes[caller] = (current, count + chars, before)
        return None

    async def reserve(self, caller: str, chars: int) -> float | None:
        """:meth:`take`, as the app calls it (a quota shared by replicas answers remotely)."""
        return self.take(caller, chars)
