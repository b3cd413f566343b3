"""Worker processes: the batches of a run translated in parallel by forks of one loaded model.

The workers are forked once the model is loaded and prepared, so they share its weights
(copy-on-write) rather than each loading a copy. On a CPU, several single-threaded workers
keep the cores busier than one process whose threads meet at every layer of every decoding
step (CTranslate2's ``inter_threads`` layout); bench/README.md has the figures.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Iterator
from typing import Any

from sejajar.translate.translator import Translation

_engine: Any = None  # the translator a worker runs; a fork inherits it

_PR_SET_PDEATHSIG = 1


def layout(workers: int | None, threads: int | None, device: str) -> tuple[int, int]:
    """(workers, threads per worker): by default one single-threaded worker per core on a CPU,
    at most 8; one process with every core otherwise."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    if workers is None:
        workers = min(cores, 8) if device == "cpu" and threads is None else 1
    return workers, threads or max(1, cores // workers)


class WorkerPool:
    """``workers`` forks of the calling process, each running ``engine.generate`` on the
    batches it is given, with ``threads`` threads."""

    def __init__(self, engine: Any, workers: int, threads: int) -> None:
        global _engine
        _engine = engine
        context = multiprocessing.get_context("fork")
        self.pool: Any = context.Pool(workers, initializer=_start, initargs=(threads,))
        self.workers = workers

    def run(self, batches: list[list[str]]) -> Iterator[tuple[int, list[Translation]]]:
        """(batch number, its translations), in the order batches finish."""
        return self.pool.imap_unordered(_generate, enumerate(batches))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def _start(threads: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle, SIGTERM (how the pool ends a worker)
    ends it quietly rather than through a handler inherited from the parent, the worker ends
    with its parent, and it runs on its own share of the cores."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Not on Linux, prctl is missing: the pool still ends its workers when the parent exits.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    import torch

    torch.set_num_threads(threads)


def _generate(job: tuple[int, list[str]]) -> tuple[int, list[Translation]]:
    number, texts = job
    return number, _engine.generate(texts)
