"""Worker processes: the batches of a run translated in parallel by forks of one loaded model.

The workers are forked once the model is loaded and prepared, so they share its weights
(copy-on-write) rather than each loading a copy. On a CPU, several single-threaded workers
keep the cores busier than one process whose threads meet at every layer of every decoding
step (CTranslate2's ``inter_threads`` layout); docs/performance.md has the figures.

The pool is made by hand rather than with ``multiprocessing.Pool``, which loses the batch of a
worker that dies (the OOM killer, a crash in a native library) and then waits for it forever.
Here the parent hands each worker one batch at a time and watches its process: a batch whose
worker died is given once more to a fresh fork; if that one dies too the batch is given up,
the others finish, and the run raises :class:`WorkerDied`.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sejajar.translate.translator import Translation, TranslatorError

_PR_SET_PDEATHSIG = 1
# How many times a batch is run in all before it is given up (a first try and one retry).
ATTEMPTS = 2
# How long a worker told to end may take before it is killed.
STOP_SECONDS = 5
# A worker silent on one batch this long is taken as stuck: killed, and its batch retried.
BATCH_SECONDS = 1800.0
# How often the parent looks at its workers' clocks while waiting for their replies.
WAIT_SECONDS = 5.0


class WorkerDied(TranslatorError):
    """A batch's worker process died on every attempt."""


def layout(workers: int | None, threads: int | None, device: str) -> tuple[int, int]:
    """(workers, threads per worker): by default one single-threaded worker per core on a CPU,
    at most 8; one process with every core otherwise."""
    cores = usable_cores()
    if workers is None:
        workers = min(cores, 8) if device == "cpu" and threads is None else 1
    return workers, threads or max(1, cores // workers)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), not all the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


# What one more worker may come to hold beyond the weights it shares with the others (its
# activations, the search's state, a copy of each page it writes to): the memory check.
WORKER_BYTES = 400 * 2**20


def available_memory() -> int | None:
    """Bytes the system can give without swapping (Linux's MemAvailable); None elsewhere."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text("ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def capped(workers: int) -> tuple[int, str | None]:
    """``workers`` cut to the usable cores and to what the available memory holds (at least
    one), and the line telling the user so, or None when nothing was cut."""
    cores, free = usable_cores(), available_memory()
    room = max(1, free // WORKER_BYTES) if free is not None else workers
    allowed = max(1, min(workers, cores, room))
    if allowed == workers:
        return workers, None
    memory = f", {free / 2**30:.1f} GB of memory free" if free is not None else ""
    return allowed, (
        f"{{workers}} {workers} cut to {allowed}: {cores} usable cores{memory} "
        f"(about {WORKER_BYTES // 2**20} MB a worker)"
    )


class _Worker:
    """One forked process and the parent's end of its pipe."""

    def __init__(self, engine: Any, threads: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process: Any = context.Process(
            target=_serve, args=(engine, threads, child, self.conn), daemon=True
        )
        # The fork inherits the parent's signal handlers (the command's, which raise): Ctrl-C
        # and SIGTERM are held from before the fork until the child has reset them, so one
        # sent at any moment ends the child instead of running the parent's handler in it.
        held = _hold(signal.SIG_BLOCK)
        try:
            self.process.start()
        finally:
            _hold(signal.SIG_SETMASK, held)
        child.close()
        self.job: int | None = None  # the batch it is translating
        self.since = 0.0  # when it was given its batch (time.monotonic)

    def give(self, number: int, batch: list[str], terms: list[tuple[str, ...]] | None) -> bool:
        """Hand the worker batch ``number`` (and its texts' terms, None for none); False when
        it died before taking it."""
        self.job, self.since = number, time.monotonic()
        try:
            self.conn.send((batch, terms))
        except (OSError, ValueError):  # a broken pipe: the worker is gone
            return False
        return True

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        # A SIGTERM that reaches a fork before it has reset the handler it inherited is
        # swallowed by that handler: the worker lives on, and is killed.
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_SECONDS)  # a process in the kernel's hands may take longer
        self.conn.close()


class WorkerPool:
    """``workers`` forks of the calling process, each running ``engine.generate`` on the
    batches it is given, with ``threads`` threads."""

    def __init__(self, engine: Any, workers: int, threads: int) -> None:
        self.engine = engine
        self.threads = threads
        # Checked before any fork: 1000 forks would be the kernel's OOM killer's to end.
        self.workers, self.note = capped(workers)
        workers = self.workers
        self._pool = [_Worker(engine, threads) for _ in range(workers)]

    def run(
        self, batches: list[list[str]], terms: list[list[tuple[str, ...]]] | None = None
    ) -> Iterator[tuple[int, list[Translation]]]:
        """(batch number, its translations), in the order batches finish; ``terms``: each
        batch's texts' terms (see ``Translator.generate_terms``), None when no text has any.
        A batch whose worker dies is retried once on a fresh worker; one that fails both
        times is skipped and, once every other batch is done, :class:`WorkerDied` is raised."""
        queue = deque(range(len(batches)))
        attempts = [0] * len(batches)
        lost: list[str] = []
        finished = False
        try:
            while queue or any(w.job is not None for w in self._pool):
                for worker in self._pool:
                    if worker.job is None and queue:
                        given = queue.popleft()
                        attempts[given] += 1
                        wanted = None if terms is None else terms[given]
                        worker.give(given, batches[given], wanted)  # a dead one is seen below
                busy = [w for w in self._pool if w.job is not None]
                handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
                ready = set(wait(handles, timeout=WAIT_SECONDS))
                now = time.monotonic()
                for worker in busy:
                    late = now - worker.since > BATCH_SECONDS
                    if worker.conn not in ready and worker.process.sentinel not in ready:
                        if not late:
                            continue
                        worker.process.kill()  # stuck: as good as dead
                    number = worker.job
                    assert number is not None
                    reply = _receive(worker.conn)
                    if reply is not None:
                        worker.job = None
                        kind, payload = reply
                        if kind == "error":
                            raise payload
                        yield number, payload
                        continue
                    # The worker died with the batch: replace it, retry the batch or give up.
                    why = _death(worker.process)
                    self._replace(worker)
                    if attempts[number] < ATTEMPTS:
                        queue.appendleft(number)
                    else:
                        lost.append(f"batch {number + 1} of {len(batches)} ({why})")
            finished = True
        finally:
            if not finished:
                # Left in the middle (an error, Ctrl-C, a caller that stopped reading): the
                # batches still running would answer the next run; start afresh.
                self._restart()
        if lost:
            raise WorkerDied(
                f"a worker process died on each of {ATTEMPTS} attempts to translate "
                + "; ".join(lost)
            )

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._pool[self._pool.index(worker)] = _Worker(self.engine, self.threads)

    def _restart(self) -> None:
        for worker in list(self._pool):
            self._replace(worker)

    def close(self) -> None:
        for worker in self._pool:
            worker.stop()
        self._pool = []


def _receive(conn: Connection) -> tuple[str, Any] | None:
    """The worker's reply, or None when it died before sending one."""
    try:
        if conn.poll():
            reply: tuple[str, Any] = conn.recv()
            return reply
    except (EOFError, OSError):
        pass
    return None


def _hold(how: int, signals: Any = frozenset({signal.SIGINT, signal.SIGTERM})) -> Any:
    """Block (or restore) signals in this thread, where the system can; the mask before."""
    if not hasattr(signal, "pthread_sigmask"):
        return set()
    return signal.pthread_sigmask(how, signals)


def _reset_signals() -> None:
    """A fork's first act: every handler the parent set goes back to the default, but Ctrl-C,
    the parent's to handle, is ignored; then the signals held over the fork are let in (a
    SIGTERM sent meanwhile ends the process now)."""
    for number in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError, TypeError):
            if callable(signal.getsignal(number)):
                signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _hold(signal.SIG_UNBLOCK)


def _death(process: Any) -> str:
    process.join(STOP_SECONDS)
    code = process.exitcode
    if code is None:
        return "it stopped answering"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _serve(engine: Any, threads: int, conn: Connection, parent_end: Connection) -> None:
    """In each worker: Ctrl-C is the parent's to handle, SIGTERM (how the pool ends a worker)
    ends it quietly rather than through a handler inherited from the parent, the worker ends
    with its parent, and it runs on its own share of the cores. Then: batches in, results out,
    until the parent closes the pipe."""
    _reset_signals()
    parent_end.close()
    # Not on Linux, prctl is missing: the pool still ends its workers when the parent exits.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    import torch

    torch.set_num_threads(threads)
    while True:
        try:
            texts, terms = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if terms is not None and any(terms):
                reply: tuple[str, Any] = ("done", engine.generate_terms(texts, terms))
            else:
                reply = ("done", engine.generate(texts))
        except Exception as exc:  # handed to the parent, which raises it
            reply = ("error", exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an exception that does not pickle
            conn.send(("error", TranslatorError(f"{type(exc).__name__}: {exc}")))
