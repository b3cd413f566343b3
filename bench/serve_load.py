"""The service's side of :mod:`bench.serve`: ``sejajar serve`` in a process of its own with
the forced output length, warmed up before it is timed, and clients that load it (threads
with a keep-alive connection each, posting LibreTranslate requests)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.crawl import FORCED_ENV, force_length
from tests.modelfactory import ROOT
from tests.servers import Server


def warmup(texts: list[str]) -> list[str]:
    """64 sentences not among ``texts``: every worker's first batches (the weights' pages
    come back on first use, kernels set up) before anything is timed."""
    return [f"{t[:-1]} hangat {i}." for i, t in enumerate(texts[:64])]


def serve_child(argv: list[str]) -> None:
    """``sejajar serve ARGV`` with the forced output length (with ``--ray``, in the replicas:
    a local Ray started here with the setup hook, which the command then joins)."""
    force_length()
    if "--ray" in argv:
        import logging

        import ray

        from sejajar.serve.rayserve import LOCAL_RAY

        ray.init(address="local", log_to_driver=False, logging_level=logging.ERROR,
                 runtime_env={"worker_process_setup_hook": force_length},
                 **LOCAL_RAY)  # fmt: skip  # the settings of the Ray --ray local starts
    from sejajar.cli import main

    sys.argv = ["sejajar", *argv]
    main()


# --- clients --------------------------------------------------------------------------------


class Client:
    """One keep-alive connection posting LibreTranslate requests."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=600)

    def translate(self, q: str | list[str]) -> float:
        body = json.dumps({"q": q, "source": "id", "target": "en"})
        start = time.perf_counter()
        self.conn.request("POST", "/translate", body, {"Content-Type": "application/json"})
        reply = self.conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise SystemExit(f"server answered {reply.status}: {data[:300]!r}")
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


def load(url: str, requests: list[str | list[str]], clients: int) -> tuple[float, list[float]]:
    """``requests`` sent by ``clients`` concurrent clients, each taking the next one as soon as
    its last is answered: (seconds in all, each request's latency)."""
    lock = threading.Lock()
    todo = iter(requests)
    latencies: list[float] = []

    def run() -> None:
        client = Client(url)
        try:
            while True:
                with lock:
                    q = next(todo, None)
                if q is None:
                    return
                latencies.append(client.translate(q))
        finally:
            client.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def child_env(args: argparse.Namespace) -> dict[str, str]:
    env = {FORCED_ENV: str(args.length), "HF_HUB_OFFLINE": "1"}
    env["XDG_CACHE_HOME"] = str(args.work / "xdg")  # this run's own calibration
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return env


def server(args: argparse.Namespace, extra: list[str] | None = None) -> Server:
    options = ["--model", str(args.model), "--beams", str(args.beams), "--quantize",
               args.quantize, "--no-cache", "--queue-size", "100000", *(extra or [])]  # fmt: skip
    launcher = (sys.executable, "-m", "bench.serve", "--serve-child")
    return Server(options, child_env(args), launcher)


def with_server(
    args: argparse.Namespace, body: Callable[[Server], Any], extra: list[str] | None = None
) -> Any:
    """``body``'s result on a fresh server, warmed up as the offline translator is."""
    running = server(args, extra)
    try:
        texts = json.loads((args.work / "texts.json").read_text("utf-8"))
        Client(running.url).translate(warmup(texts))
        return body(running)
    finally:
        running.stop()


def calls(server: Server) -> tuple[float, float]:
    """(sentences, calls to the model) so far, from the server's metrics."""
    client = Client(server.url)
    client.conn.request("GET", "/metrics")
    found = dict(
        line.split(" ", 1)
        for line in client.conn.getresponse().read().decode().splitlines()
        if line.startswith("sejajar_batch_sentences_")
    )
    client.close()
    sentences, count = found["sejajar_batch_sentences_sum"], found["sejajar_batch_sentences_count"]
    return float(sentences), float(count)
