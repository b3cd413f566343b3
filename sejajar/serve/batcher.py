"""Shared batches: the sentences of concurrent requests wait in one queue and go to the model
together, so many clients sending a sentence each keep it as busy as one offline run.

One thread does all the model's work (its translations, the cache, the run's memory of
repeats: SQLite and the worker pool are used from that thread only). The queue lives on the
event loop. Before a call, when several clients are about (the last call served more than
one request, or more than one waits), the queue waits for company while sentences keep
coming: until ``fill`` sentences wait (a full batch for every worker), or none has arrived
for ``wait`` seconds, or ten times that has passed. So the clients of the last call, whose
next requests arrive one after another as their answers go out, go to the model together
rather than a few at a time (a call of a few sentences keeps one worker busy and the others
idle), and a lone client never waits. A call takes whole fills of sentences when more wait,
so that its batches spread evenly over the workers. The translator sorts a
call's sentences by length and cuts them into batches under its padded-token cap, as in
``sejajar translate``; the run's memory translates a sentence repeated across requests once.
A request whose client has gone, or whose deadline passed, is cancelled and never reaches the
model.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sejajar.serve.metrics import Metrics
from sejajar.translate.translator import Translation

T = TypeVar("T")
# A lane's work: run in its thread, or (a coroutine function) awaited on the event loop, as
# when a call goes to a model replica elsewhere (Ray Serve).
Work = Callable[[list[str]], list[Translation]]
AsyncWork = Callable[[list[str]], Awaitable[list[Translation]]]


class QueueFull(Exception):
    """More sentences are waiting than the queue holds: the client should retry later."""


class Unavailable(Exception):
    """The model could not answer for now (its replica was lost): the client should retry."""


@dataclass(eq=False)
class _Waiting:
    """A request's sentences: the first ``taken`` have gone to the model (a long request
    goes in pieces, so that several lanes share it), ``left`` are still to come back."""

    texts: Sequence[str]
    future: asyncio.Future[list[Translation]]
    since: float
    taken: int = 0
    left: int = 0
    done: list[Translation | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.left = len(self.texts)
        self.done = [None] * len(self.texts)


# A piece of a request that goes to the model: the request, and where its piece starts and ends.
Piece = tuple[_Waiting, int, int]


class SharedBatcher:
    """The queue in front of ``work`` (run in the model thread on a call's sentences), or of
    several lanes of work (:meth:`set_lanes`: each its own thread, or a coroutine, each
    taking the next sentences as soon as it is free; see :mod:`lanes`). ``fill``: sentences
    that start a call at once; ``most``: sentences in one call at most (a longer request goes
    in pieces)."""

    def __init__(
        self,
        work: Work,
        metrics: Metrics,
        *,
        limit: int,
        wait: float,
        fill: int = 32,
        most: int = 256,
    ) -> None:
        self.lanes: list[Work | AsyncWork] = [work]
        self.metrics = metrics
        self.limit, self.wait, self.fill, self.most = limit, wait, fill, most
        self.waiting: deque[_Waiting] = deque()
        self.queued = 0  # sentences waiting
        self.last_arrival = 0.0
        self.last_call = 0  # requests in the last call to the model
        self.calls = 0  # calls to the model under way
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="sejajar-model")
        self._lane_executors = [self._executor]
        self._arrived: asyncio.Event | None = None
        self._taking: asyncio.Lock | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def busy(self) -> bool:
        """Whether a call to the model is under way."""
        return self.calls > 0

    def set_lanes(self, lanes: Sequence[Work | AsyncWork]) -> None:
        """Work in several lanes, each in a thread of its own (the first in the model
        thread; a coroutine function is awaited instead); before :meth:`start`."""
        self.lanes = list(lanes)
        self._lane_executors = [self._executor] + [
            ThreadPoolExecutor(1, thread_name_prefix=f"sejajar-lane-{n}")
            for n in range(1, len(lanes))
        ]

    # The model thread.
    def call(self, function: Callable[..., T], *args: Any, lane: int = 0) -> T:
        """Run ``function`` in the model thread (or a lane's) and wait for it (outside the
        event loop)."""
        return self._lane_executors[lane].submit(function, *args).result()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` in the model thread, in turn with the batches."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # The queue.
    def start(self) -> None:
        self._arrived = asyncio.Event()
        self._taking = asyncio.Lock()
        self._tasks = [
            asyncio.create_task(self._serve(lane), name=f"sejajar-lane-{lane}")
            for lane in range(len(self.lanes))
        ]

    async def stop(self) -> None:
        """Stop taking batches; what waits is cancelled. The model thread is left to the
        caller's shutdown (it may hold a call that finishes)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while self.waiting:
            self.waiting.popleft().future.cancel()
        self.queued = 0

    def shutdown(self) -> None:
        for executor in self._lane_executors[1:]:
            executor.shutdown(wait=True)
        self._executor.shutdown(wait=True)

    async def translate(self, texts: Sequence[str]) -> list[Translation]:
        """The translations of ``texts``, in order, once their batch has run. Raises
        :class:`QueueFull` at once when the queue has no room for them. Cancelling the
        awaiting task takes them out of the queue."""
        if not texts:
            return []
        if self._arrived is None:
            raise RuntimeError("the batcher is not started")
        if self.queued + len(texts) > self.limit:
            raise QueueFull(f"{self.queued} sentences are waiting; the queue holds {self.limit}")
        future: asyncio.Future[list[Translation]] = asyncio.get_running_loop().create_future()
        self.last_arrival = time.monotonic()
        self.waiting.append(_Waiting(texts, future, self.last_arrival))
        self.queued += len(texts)
        self.metrics.queued.set(self.queued)
        self._arrived.set()
        return await future

    async def _serve(self, lane: int) -> None:
        assert self._arrived is not None and self._taking is not None
        while True:
            await self._arrived.wait()
            async with self._taking:  # one lane gathers and takes at a time
                self._drop_cancelled()
                if not self.waiting:
                    self._arrived.clear()
                    continue
                await self._gather()
                taken = self._take()
                if not self.waiting:
                    self._arrived.clear()
            if taken:
                await self._translate(taken, lane)

    async def _gather(self) -> None:
        """Wait for ``fill`` sentences while they keep coming (see the module's docstring)."""
        assert self._arrived is not None
        if self.last_call <= 1 and len(self.waiting) <= 1:  # a lone client: no company coming
            return
        end = time.monotonic() + 10 * self.wait
        while self.queued < self.fill:
            left = min(self.last_arrival + self.wait, end) - time.monotonic()
            if left <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return
            self._drop_cancelled()
            if not self.waiting:
                return

    def _drop_cancelled(self) -> None:
        kept = deque(w for w in self.waiting if not w.future.done())
        if len(kept) < len(self.waiting):
            self.metrics.dropped.inc(len(self.waiting) - len(kept))
            self.waiting = kept
            self.queued = sum(len(w.texts) - w.taken for w in kept)
            self.metrics.queued.set(self.queued)

    def _take(self) -> list[Piece]:
        """Sentences in arrival order, as many whole fills as wait (``most`` at most)."""
        limit = min(self.most, max(self.fill, self.queued // self.fill * self.fill))
        taken: list[Piece] = []
        count = 0
        while self.waiting and count < limit:
            item = self.waiting[0]
            if item.future.done():  # cancelled since the last look
                self.waiting.popleft()
                self.queued -= len(item.texts) - item.taken
                self.metrics.dropped.inc()
                continue
            size = min(len(item.texts) - item.taken, limit - count)
            taken.append((item, item.taken, item.taken + size))
            item.taken += size
            count += size
            self.queued -= size
            if item.taken == len(item.texts):
                self.waiting.popleft()
        self.metrics.queued.set(self.queued)
        return taken

    async def _translate(self, taken: list[Piece], lane: int) -> None:
        texts = [t for item, start, end in taken for t in item.texts[start:end]]
        now = time.monotonic()
        for item, start, _ in taken:
            if start == 0:
                self.metrics.wait.observe(now - item.since)
        self.metrics.batch.observe(len(texts))
        self.last_call = len(taken)
        self.calls += 1
        loop, work = asyncio.get_running_loop(), self.lanes[lane]
        try:
            if inspect.iscoroutinefunction(work):
                done = await cast(AsyncWork, work)(texts)
            else:
                done = await loop.run_in_executor(
                    self._lane_executors[lane], cast(Work, work), texts
                )
        except Exception as exc:  # the callers report it (each its own request)
            for item, _, _ in taken:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        finally:
            self.calls -= 1
        at = 0
        for item, start, end in taken:
            item.done[start:end] = done[at : at + end - start]
            item.left -= end - start
            at += end - start
            if not item.left and not item.future.done():
                item.future.set_result([t for t in item.done if t is not None])
