"""The service's lanes: one per worker process of the model, each fed from the shared queue
on its own, so that a worker that finishes takes the next sentences while the others are
still busy. Calls of the whole pool wait for its slowest batch: with a few dozen sentences in
flight (what concurrent clients hold), each call's last batch left the other workers idle.

Each lane is a copy of the loaded translator with a pool of one worker (forked from the same
loaded model, so the weights are still shared) behind a run memory and a cache connection of
its own (:class:`TranslatorSession` with the lane's translator). A sentence repeated across
lanes is translated by each until one has written it to the cache."""

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
