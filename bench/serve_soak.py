"""The memory rows of :mod:`bench.serve`: PSS of the server and its workers sampled over
``--soak`` seconds of 64 clients sending distinct sentences (so that the model works)."""

from __future__ import annotations

import argparse
import time

from bench.sampler import _pss_kb, _tree
from bench.serve_load import load, with_server
from tests.servers import Server


def memory(args: argparse.Namespace, texts: list[str]) -> float:
    """Prints the samples at every fifth of the soak; the ratio of the last to the first after
    warm-up (1.0: flat)."""

    def soak(s: Server) -> list[tuple[float, float]]:
        samples: list[tuple[float, float]] = []
        stop = time.monotonic() + args.soak
        n = 0
        while time.monotonic() < stop:
            batch = [f"{t[:-1]} {n}." for t in texts[:64]]  # distinct: the model works
            n += 1
            load(s.url, list(batch), 64)
            pss = sum(_pss_kb(pid) for pid in _tree(s.process.pid)) / 1024
            samples.append((args.soak - (stop - time.monotonic()), pss))
        return samples

    samples = with_server(args, soak)
    marks = [samples[int(i * (len(samples) - 1) / 5)] for i in range(6)]
    print(f"\nmemory over {args.soak:.0f} s of 64 clients (PSS of the server and its workers, MB):")
    print("  " + ", ".join(f"{t:.0f} s: {mb:.0f}" for t, mb in marks))
    first, last = marks[1][1], marks[-1][1]  # after the first fifth: past warm-up
    print(f"  from the first fifth to the end: {last - first:+.0f} MB ({(last / first - 1):+.1%})")
    return float(last / first)
