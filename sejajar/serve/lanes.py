"""The service's lanes: one per worker process of the model, each fed from the shared queue
on its own, so that a worker that finishes takes the next sentences while the others are
still busy. Calls of the whole pool wait for its slowest batch: with a few dozen sentences in
flight (what concurrent clients hold), each call's last batch left the other workers idle.

Each lane is a copy of the loaded translator with a pool of one worker (forked from the same
loaded model, so the weights are still shared) behind a run memory and a cache connection of
its own (:class:`TranslatorSession` with the lane's translator). A sentence repeated across
lanes is translated by each until one has written it to the cache.

Where the model may not fork (a Ray Serve replica runs with the CPUs Ray gave it, as
threads), :func:`thread_lanes` gives the same shape with threads: one lane per CPU, each a
copy of the translator in this process sharing its weights, each translating with one torch
thread (see docs/performance.md#ray-serve for what that gains over one lane of several threads)."""

from __future__ import annotations

import copy

from sejajar.translate.engines import TranslatorSession


def lanes(session: TranslatorSession) -> list[TranslatorSession]:
    """One session per worker of ``session``'s loaded translator; ``[session]`` when it has
    no pool of several workers (one process, CTranslate2's own threads). Call it where the
    lanes' work will run from (forks happen here)."""
    loaded = session.loaded
    pool = getattr(loaded, "pool", None)
    if loaded is None or pool is None or pool.workers < 2:
        return [session]
    workers, threads = pool.workers, pool.threads
    loaded.close()  # the pool of several workers gives way to one worker per lane
    found = []
    for _ in range(workers):
        lane = copy.copy(loaded)
        lane.pool = None  # type: ignore[attr-defined]
        lane.start_workers(1, threads)  # type: ignore[attr-defined]
        found.append(TranslatorSession(session.settings, session.cache_setting, translator=lane))
    return found


def thread_lanes(session: TranslatorSession, count: int) -> list[TranslatorSession]:
    """``count`` lanes in this process for ``session``'s loaded translator: the session itself
    and ``count - 1`` sessions over copies of its translator (the same model, read by every
    lane at once). ``[session]`` when ``count`` < 2 or the translator cannot be shared that
    way (CTranslate2 runs its own threads; a translator with a worker pool forks instead).
    Each lane must call :func:`one_thread` in its own thread before it translates."""
    loaded = session.loaded
    if count < 2 or loaded is None or not hasattr(loaded, "prepare"):
        return [session]
    if getattr(loaded, "pool", None) is not None:  # it forks workers of its own
        return [session]
    loaded.prepare()  # the search set up once, before the lanes share it
    copies = [copy.copy(loaded) for _ in range(count - 1)]
    return [session] + [
        TranslatorSession(session.settings, session.cache_setting, translator=lane)
        for lane in copies
    ]


def one_thread() -> None:
    """Make the calling lane translate with one torch thread (torch's thread count, and the
    OpenMP one it sets, hold per calling thread for OpenMP's part)."""
    import torch

    torch.set_num_threads(1)
