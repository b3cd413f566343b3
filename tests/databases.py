"""A real PostgreSQL server for tests, from Debian's ``postgresql`` package: made with
``initdb`` in a temporary folder, run as user ``nobody`` (PostgreSQL refuses root) with its
unix socket in that folder (no TCP), stopped with ``pg_ctl -m immediate stop``.

Where it cannot start the tests that need it skip, saying why; with
``SEJAJAR_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "review"


def unavailable(reason: str) -> None:
    """Fail with ``SEJAJAR_REQUIRE_POSTGRES=1``, else skip."""
    if os.environ.get("SEJAJAR_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (SEJAJAR_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Postgres:
    """A server: its folder (which holds the socket and the data), port, binaries, and the
    user it runs as. ``stop`` and ``start`` let a test take it away and bring it back."""

    folder: Path
    port: int
    binaries: Path
    as_user: tuple[str, ...]

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{USER}@/{name}?host={self.folder}&port={self.port}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = "t" + uuid.uuid4().hex[:16]
        with psycopg.connect(
            host=str(self.folder), port=self.port, user=USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), *args]
        return subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=120, check=False
        )

    def start(self) -> str:
        """Start it; "" when it runs, else why not."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses='' -c fsync=off"
        log = self.folder / "log"
        started = self._pg_ctl("-o", options, "-l", str(log), "-w", "-t", "60", "start")
        if started.returncode == 0:
            return ""
        self.stop()
        logged = log.read_text("utf-8", "replace") if log.exists() else ""
        return (started.stderr + logged).strip()[-300:] or f"exit {started.returncode}"

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A PostgreSQL server for the block; stopped (immediately) and removed afterwards."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        unavailable("no /usr/lib/postgresql/*/bin/pg_ctl (apt-get install postgresql)")
    as_user = ("runuser", "-u", "nobody", "--") if os.geteuid() == 0 else ()
    folder = Path(tempfile.mkdtemp(prefix="sejajar-pg-"))
    if as_user:
        folder.chmod(0o755)
        shutil.chown(folder, "nobody")
    server = Postgres(folder, _free_port(), Path(found[-1]).parent, as_user)
    try:
        made = subprocess.run(
            [*as_user, str(server.binaries / "initdb"), "-D", str(folder / "data"), "-U", USER,
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if made.returncode != 0:
            unavailable(f"initdb failed: {(made.stderr or made.stdout).strip()[-300:]}")
        failed = server.start()
        if failed:
            unavailable(f"pg_ctl start failed: {failed}")
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
