"""A real ``sejajar serve`` process for tests: started on a free port (``--port 0``: the
server binds it and says which), waited for until ``/health`` answers, stopped by the test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from tests.modelfactory import ROOT


class Server:
    """A running server: its base ``url``, its process, and what it wrote on stderr.
    ``launcher`` runs ``sejajar`` (the benchmark's forces an output length first)."""

    def __init__(
        self,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        launcher: Sequence[str] = (sys.executable, "-m", "sejajar"),
    ) -> None:
        cmd = [*launcher, "serve", "--port", "0", *args]
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("Serving ") and " on http://" in line:
                    self.url = line.split(" on ", 1)[1].strip()
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not ready.wait(180) or not self.url:
            self.stop()
            raise AssertionError(
                f"the server did not start (exit {self.process.returncode}):\n{self.log}"
            )
        self.wait_healthy()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_healthy(self, seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise AssertionError("the server ended:\n" + self.log)
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("the server never answered /health:\n" + self.log)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send ``sig`` and wait for the end (killed after ``timeout``); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode


@contextmanager
def serving(model: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server on ``model`` for the block; stopped (and killed if it must be) afterwards."""
    server = Server(["--model", str(model), *args], env)
    try:
        yield server
    finally:
        server.stop()
        # Worker processes of a killed server end with it (they watch their parent).
        if server.process.returncode is not None and server.process.returncode < 0:
            with suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)


SENTENCES = [
    "Presiden tiba di Jakarta pada Rabu (26/4/2023).",
    "Harga naik 3,5 persen di Washington D.C pada pukul 14.30 WIB.",
    "Amerika Serikat dan Korea Selatan sepakat memperkuat kerja sama.",
    "Korea Utara tidak menanggapi permintaan komentar.",
]

# A sentence's translation depends on the batch it is in: padding changes the shapes of the
# matrix products, so their sums round differently, and a random model's near-ties flip (the
# CLI too gives another text for a sentence when the file around it changes). So the server
# and the CLI run batches of one here, where both must give exactly the same text; the queue
# still gathers many requests' sentences into each call to the model.
ONE = ("--batch-size", "1")


def metric(server: Server, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def translate_body(**fields: object) -> dict[str, object]:
    return {"q": "Presiden tiba.", "source": "id", "target": "en", **fields}


def private_env(folder: Path) -> dict[str, str]:
    """A module's server's environment: its own cache folder (the per-test one is not set yet
    in module fixtures), no calibration."""
    return {"XDG_CACHE_HOME": str(folder), "SEJAJAR_CALIBRATE": "0"}


def tiny_serving(model: Path, env: dict[str, str]) -> contextlib.AbstractContextManager[Server]:
    """The tests' shared server: batches of one (see ``ONE``), no cache, and a deadline past
    the tests' own timeouts (on a loaded machine, requests that hold every lane may take more
    than the default 60 s and must still answer 200)."""
    return serving(model, "--no-cache", *ONE, "--deadline", "600", env=env)
