"""The Ray Serve rows of :mod:`bench.serve` (``--ray``): 64 one-sentence clients against the
one-machine server, then ``sejajar serve --ray local`` with one replica holding every core and
with two replicas of half the cores each, and Ray Serve's overhead at one replica (holding
every core, and at the same model work as a one-worker server: one thread each); then one
replica batching with Ray Serve's ``@serve.batch`` instead of the service's queue
(:mod:`bench.serve_batch`)."""

from __future__ import annotations

import argparse
import os

from bench.child import run_child
from bench.cpu_share import cpu_times, spent
from bench.serve_load import calls, child_env, load, percentile, with_server
from tests.servers import Server

EQUAL = ("one machine, 1 worker of 1 thread", "Ray Serve, 1 replica of 1 CPU")


def ray_rows(args: argparse.Namespace, texts: list[str]) -> None:
    """64 one-sentence clients: the one-machine server, then Ray Serve with 1 and 2 replicas."""
    cores = os.cpu_count() or 2
    rows = [
        ("one machine (sejajar serve)", []),
        ("Ray Serve, 1 replica", ["--ray", "local", "--replicas", "1", "--replica-cpus",
                                  str(cores)]),
        ("Ray Serve, 2 replicas", ["--ray", "local", "--replicas", "2", "--replica-cpus",
                                   f"{cores / 2:g}"]),
        # The same model work on both sides (one lane of one thread), so the difference is
        # the serving layer: Ray Serve's proxy, router and replica against uvicorn and a worker.
        (EQUAL[0], ["--workers", "1", "--threads", "1"]),
        (EQUAL[1], ["--ray", "local", "--replicas", "1", "--replica-cpus", "1"]),
    ]  # fmt: skip
    print(f"\n64 clients, 1 sentence each, {len(texts)} requests; replicas share {cores} cores")
    print(f"{'server':<30} {'seconds':>8} {'sent/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'per call':>8}")  # fmt: skip
    rates: dict[str, float] = {}
    shares: dict[str, dict[str, float]] = {}
    for name, extra in rows:

        def body(s: Server, name: str = name) -> tuple[float, list[float], float]:
            # Warm: a round of the same shape first (a replica is not calibrated at load, as
            # its threads are Ray's, so its first batches of each size pay for kernel setup).
            load(s.url, [f"{t[:-1]} (warm)." for t in texts], 64)
            before = cpu_times()
            seconds, lat = load(s.url, list(texts), 64)
            shares[name] = spent(before)
            after = calls(s)
            return seconds, lat, after[0] / max(1, after[1])

        seconds, lat, mean = with_server(args, body, extra)
        rates[name] = len(texts) / seconds
        print(f"{name:<30} {seconds:>8.1f} {rates[name]:>7.1f} {1000 * percentile(lat, 0.5):>8.1f} "
              f"{1000 * percentile(lat, 0.95):>8.1f} {mean:>8.1f}", flush=True)  # fmt: skip
    for name, lanes in [("@serve.batch, 1 batch at once", 1),
                        (f"@serve.batch, {cores} at once", cores)]:  # fmt: skip
        found = run_child("bench.serve_batch", [str(args.model), str(args.beams), str(lanes),
                          str(args.work / "texts.json"), "64"],
                          env={**os.environ, **child_env(args)})  # fmt: skip
        rates[name] = len(texts) / found["seconds"]
        p50, p95 = 1000 * found["p50"], 1000 * found["p95"]
        print(f"{name:<30} {found['seconds']:>8.1f} {rates[name]:>7.1f} {p50:>8.1f} "
              f"{p95:>8.1f}", flush=True)  # fmt: skip
    print("\nCPU seconds during each measured round, by process:")
    for name, share in shares.items():
        print(f"  {name}: " + ", ".join(f"{group} {secs:g}" for group, secs in share.items()))
    overhead = rates["one machine (sejajar serve)"] / rates["Ray Serve, 1 replica"] - 1
    print("\ntargets:")
    print(
        f"  Ray Serve at one replica within 15% of the one-machine server: {overhead:+.1%} "
        f"{'met' if overhead <= 0.15 else 'MISSED'} (the replica holding every core)"
    )
    equal = rates[EQUAL[0]] / rates[EQUAL[1]] - 1
    print(f"  the same, the same model work on both sides (one thread): {equal:+.1%} "
          f"{'met' if equal <= 0.15 else 'MISSED'}")  # fmt: skip
