"""Ray Serve's own batching (``@serve.batch``) against the service's queue, inside one replica
(rows of ``python -m bench.serve --ray``): which should gather a replica's requests into
batches. :func:`bench.serve_ray.ray_rows` runs ``python -m bench.serve_batch MODEL BEAMS LANES
TEXTS CLIENTS``, which starts a local Ray and one replica with the model and CPUs of
``sejajar serve --ray``, whose LibreTranslate-shaped ``/translate`` batches with
``@serve.batch``: one batch at a time on one translator with every CPU as its threads (the
plain Ray idiom, LANES 1), or one batch per lane at once, each lane one thread over the shared
model (the layout of :func:`sejajar.serve.lanes.thread_lanes`). Only the batching differs from
the service's replica: no limits, splitting, quotas or metrics, which favours this side."""

# No ``from __future__ import annotations``: FastAPI reads the route's annotations at runtime.
import asyncio
import json
import logging
import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def deployment(model: str, beams: int, cpus: int, lanes: int, wait_ms: float) -> Any:
    """The ``@serve.batch`` replica as a bound Ray Serve application."""
    from fastapi import FastAPI, Request
    from ray import serve

    app = FastAPI()

    @serve.deployment(
        ray_actor_options={"num_cpus": cpus,
                           "runtime_env": {"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}}},
        max_ongoing_requests=100_000,
    )  # fmt: skip
    @serve.ingress(app)
    class Batched:
        def __init__(self) -> None:
            from sejajar.serve.lanes import one_thread, thread_lanes
            from sejajar.translate.engines import ModelSettings, TranslatorSession

            threads = cpus if lanes == 1 else 1
            settings = ModelSettings(model=model, beams=beams, workers=1, threads=threads,
                                     calibrate=False)  # fmt: skip
            session = TranslatorSession(settings, cache=False)
            session()
            self.sessions = thread_lanes(session, lanes) if lanes > 1 else [session]
            init = one_thread if lanes > 1 else None
            self.executors = [ThreadPoolExecutor(1, initializer=init) for _ in self.sessions]
            self.free: asyncio.Queue[int] = asyncio.Queue()
            for lane in range(len(self.sessions)):
                self.free.put_nowait(lane)

        @app.post("/translate")
        async def translate(self, request: Request) -> dict[str, str]:
            body = await request.json()
            return {"translatedText": await self.batch(body["q"])}

        @serve.batch(max_batch_size=16, batch_wait_timeout_s=wait_ms / 1000,
                     max_concurrent_batches=lanes)  # fmt: skip
        async def batch(self, texts: list[str]) -> list[str]:
            lane = await self.free.get()
            try:
                loop = asyncio.get_running_loop()
                translator = self.sessions[lane]()
                done = await loop.run_in_executor(self.executors[lane], translator.translate, texts)
            finally:
                self.free.put_nowait(lane)
            return [t.text for t in done]

    return Batched.bind()  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(model: str, beams: int, lanes: int, texts_file: Path, clients: int) -> dict[str, Any]:
    """In the child: a local Ray, the replica, a warm-up round, then the measured round."""
    import ray
    from ray import serve

    from bench.crawl import force_length
    from bench.serve_load import load, percentile

    cpus = os.cpu_count() or 2
    force_length()
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR,
             runtime_env={"worker_process_setup_hook": force_length})  # fmt: skip
    try:
        port = free_port()
        quiet = {"log_level": "WARNING", "enable_access_log": False}
        serve.start(http_options={"host": "127.0.0.1", "port": port}, logging_config=quiet)
        serve.run(deployment(model, beams, cpus, lanes, 5.0), name="batched", route_prefix="/")
        url = f"http://127.0.0.1:{port}"
        texts: list[str | list[str]] = list(json.loads(texts_file.read_text("utf-8")))
        load(url, [f"{t[:-1]} (warm)." for t in texts if isinstance(t, str)], clients)
        seconds, lat = load(url, texts, clients)
        return {"seconds": seconds, "p50": percentile(lat, 0.5), "p95": percentile(lat, 0.95)}
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()


if __name__ == "__main__":
    from bench.child import report

    model, beams, lanes, texts_file, clients = sys.argv[1:6]
    report(measure(model, int(beams), int(lanes), Path(texts_file), int(clients)))
