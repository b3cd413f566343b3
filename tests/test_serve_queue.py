"""The service's queue and limits, in process (the app called through httpx's ASGI transport)
with a fake engine whose model can be held busy: shared calls, repeats translated once, a
full queue, deadlines, a client gone, quotas, failures; and the pieces (passages, detection,
keys, quotas) on their own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from sejajar.core import language
from sejajar.serve.app import build_app
from sejajar.serve.batcher import SharedBatcher
from sejajar.serve.metrics import Metrics
from sejajar.serve.service import Service
from sejajar.serve.settings import ServeSettings
from sejajar.translate import engines
from sejajar.translate.engines import ModelSettings, TranslatorSession
from sejajar.translate.translator import Translation, TranslatorError
from tests.helpers import FakeTranslator


class HeldFake(FakeTranslator):
    """The glossary fake, whose batches wait for ``gate`` (a model kept busy) and may fail."""

    def __init__(self) -> None:
        super().__init__(batch_size=64)
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.failure: Exception | None = None

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        self.started.set()
        self.gate.wait(30)
        if self.failure is not None:
            raise self.failure
        return super().generate(texts)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> HeldFake:
    held = HeldFake()
    monkeypatch.setitem(engines.ENGINES, "fake", lambda settings: held)
    return held


@asynccontextmanager
async def client(**options: Any) -> AsyncIterator[httpx.AsyncClient]:
    session = TranslatorSession(ModelSettings(engine="fake"), cache=False)
    service = Service(session, ServeSettings(**options))
    await asyncio.to_thread(service.load)
    app = build_app(service)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                yield c
    finally:
        await asyncio.to_thread(service.close)


def ask(c: httpx.AsyncClient, q: object, **fields: Any) -> Any:
    return c.post("/translate", json={"q": q, "source": "id", "target": "en", **fields})


async def busy(fake: HeldFake, c: httpx.AsyncClient) -> asyncio.Task[httpx.Response]:
    """A request that holds the model until ``fake.gate`` opens."""
    fake.gate.clear()
    fake.started.clear()
    task = asyncio.create_task(ask(c, "presiden naik"))
    assert await asyncio.to_thread(fake.started.wait, 10)
    return task


def test_requests_share_calls_and_repeats_are_translated_once(fake: HeldFake) -> None:
    async def main() -> None:
        async with client() as c:
            first = await busy(fake, c)
            texts = ["harga naik", "harga turun", "harga naik", "korea selatan", "harga turun"]
            waiting = [asyncio.create_task(ask(c, t)) for t in texts]
            await asyncio.sleep(0.2)  # all queued while the model is busy
            fake.gate.set()
            replies = [r.json()["translatedText"] for r in await asyncio.gather(*waiting)]
            assert (await first).json() == {"translatedText": "president rises"}
            assert replies == ["price rises", "price falls", "price rises", "korea south",
                               "price falls"]  # fmt: skip
            # One call for the five requests, each distinct sentence once.
            assert fake.batches[1:] == [["harga naik", "harga turun", "korea selatan"]]
            again = await ask(c, "harga naik")
            assert again.json()["translatedText"] == "price rises"
            assert len(fake.batches) == 2  # a repeat later on: from the run's memory
            metrics = (await c.get("/metrics")).text
            assert 'sejajar_sentences_served_total{source="memory"} 3.0' in metrics

    asyncio.run(main())


def test_a_full_queue_answers_503_with_retry_after(fake: HeldFake) -> None:
    async def main() -> None:
        async with client(queue_size=2) as c:
            first = await busy(fake, c)
            queued = asyncio.create_task(ask(c, ["harga naik", "harga turun"]))
            await asyncio.sleep(0.1)
            refused = await ask(c, "korea")
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "queue holds 2" in refused.json()["error"]
            fake.gate.set()
            assert (await queued).status_code == 200 and (await first).status_code == 200
            assert (await ask(c, "korea")).status_code == 200

    asyncio.run(main())


def test_a_deadline_answers_504_and_its_sentences_leave_the_queue(fake: HeldFake) -> None:
    async def main() -> None:
        async with client(deadline=0.3) as c:
            # A first request through every path (splitting, identification, the queue), so
            # that the held one below reaches the model well within the short deadline.
            assert (await ask(c, "korea selatan")).status_code == 200
            first = await busy(fake, c)
            late = await ask(c, "harga naik")  # waits behind the busy model
            assert late.status_code == 504
            assert "within 0.3 s" in late.json()["error"]
            fake.gate.set()
            await first
            await asyncio.sleep(0.05)
            assert all("harga naik" not in batch for batch in fake.batches)
            assert "sejajar_requests_dropped_total 1.0" in (await c.get("/metrics")).text

    asyncio.run(main())


def test_the_identifier_is_loaded_before_the_first_request(fake: HeldFake) -> None:
    """Loading it takes about a second: on a first request it would eat a short deadline."""
    language._identifier.cache_clear()
    service = Service(TranslatorSession(ModelSettings(engine="fake"), cache=False), ServeSettings())
    try:
        service.load()
        assert language._identifier.cache_info().currsize == 1
    finally:
        service.close()


def test_a_request_cancelled_in_the_queue_never_reaches_the_model() -> None:
    seen: list[list[str]] = []
    gate = threading.Event()

    def work(texts: list[str]) -> list[Translation]:
        gate.wait(10)
        seen.append(texts)
        return [Translation(t.upper()) for t in texts]

    async def main() -> None:
        batcher = SharedBatcher(work, Metrics(), limit=100, wait=0.0)
        batcher.start()
        first = asyncio.create_task(batcher.translate(["a"]))
        await asyncio.sleep(0.05)
        gone = asyncio.create_task(batcher.translate(["b"]))
        kept = asyncio.create_task(batcher.translate(["c", "d"]))
        await asyncio.sleep(0.05)
        gone.cancel()  # what bounded() does when the client disconnects
        gate.set()
        assert [t.text for t in await first] == ["A"]
        assert [t.text for t in await kept] == ["C", "D"]
        assert seen == [["a"], ["c", "d"]]
        await batcher.stop()
        batcher.shutdown()

    asyncio.run(main())


def test_company_is_awaited_only_when_several_clients_are_about() -> None:
    calls: list[list[str]] = []

    def work(texts: list[str]) -> list[Translation]:
        calls.append(texts)
        return [Translation(t) for t in texts]

    batcher = SharedBatcher(work, Metrics(), limit=100, wait=0.3, fill=4)

    async def later(delay: float, texts: list[str]) -> list[Translation]:
        await asyncio.sleep(delay)
        return await batcher.translate(texts)

    async def main() -> None:
        batcher.start()
        # A lone client: its sentence goes at once, however long the wait allowed.
        started = time.monotonic()
        await batcher.translate(["a"])
        assert time.monotonic() - started < 0.2  # not the 0.3 s a batch may wait
        # Two together: they go together; after a call of two, a third coming 10 ms after
        # the fourth still joins it (requests keep coming), and a fill goes at once.
        await asyncio.gather(batcher.translate(["b"]), batcher.translate(["c"]))
        await asyncio.gather(batcher.translate(["d"]), later(0.01, ["e"]))
        await batcher.translate(["f", "g", "h", "i"])
        assert calls == [["a"], ["b", "c"], ["d", "e"], ["f", "g", "h", "i"]]
        await batcher.stop()
        batcher.shutdown()

    asyncio.run(main())


def test_a_free_lane_takes_the_next_sentences_while_another_is_busy() -> None:
    gate = threading.Event()
    seen: list[tuple[str, list[str]]] = []

    def lane(name: str) -> Callable[[list[str]], list[Translation]]:
        def work(texts: list[str]) -> list[Translation]:
            if texts == ["slow"]:
                gate.wait(10)
            seen.append((name, texts))
            return [Translation(t.upper()) for t in texts]

        return work

    batcher = SharedBatcher(lane("a"), Metrics(), limit=100, wait=0.0, fill=1, most=1)
    batcher.set_lanes([lane("a"), lane("b")])

    async def main() -> None:
        batcher.start()
        slow = asyncio.create_task(batcher.translate(["slow"]))
        await asyncio.sleep(0.05)
        assert batcher.busy
        # The first lane is held: the second answers these meanwhile, one call each.
        assert [t.text for t in await batcher.translate(["x"])] == ["X"]
        assert [t.text for t in await batcher.translate(["y"])] == ["Y"]
        assert not slow.done()
        gate.set()
        assert [t.text for t in await slow] == ["SLOW"]
        assert seen == [("b", ["x"]), ("b", ["y"]), ("a", ["slow"])]
        await batcher.stop()
        batcher.shutdown()

    asyncio.run(main())


def test_a_long_request_is_shared_by_the_lanes_and_comes_back_in_order() -> None:
    seen: list[tuple[str, list[str]]] = []
    both = threading.Barrier(2, timeout=10)  # each lane waits for the other: they share it

    def lane(name: str) -> Callable[[list[str]], list[Translation]]:
        def work(texts: list[str]) -> list[Translation]:
            both.wait()
            seen.append((name, texts))
            return [Translation(t.upper()) for t in texts]

        return work

    batcher = SharedBatcher(lane("a"), Metrics(), limit=100, wait=0.0, fill=2, most=2)
    batcher.set_lanes([lane("a"), lane("b")])

    async def main() -> None:
        batcher.start()
        done = await batcher.translate(["p", "q", "r", "s"])
        assert [t.text for t in done] == ["P", "Q", "R", "S"]
        assert sorted(seen) == [("a", ["p", "q"]), ("b", ["r", "s"])]
        await batcher.stop()
        batcher.shutdown()

    asyncio.run(main())


def test_quota_answers_429(fake: HeldFake) -> None:
    async def main() -> None:
        async with client(chars_per_minute=25) as c:
            assert (await ask(c, "harga naik di korea")).status_code == 200  # 19 characters
            again = await ask(c, "harga naik di korea")
            assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1
            assert "Slowdown" in again.json()["error"]
            huge = await ask(c, "x" * 26)
            assert huge.status_code == 429 and "more than the 25" in huge.json()["error"]

    asyncio.run(main())


@pytest.mark.parametrize(
    ("failure", "status", "message"),
    [
        (TranslatorError("a worker process died twice"), 500, "Cannot translate text: a worker"),
        (RuntimeError("a bug"), 500, "Internal error: the request could not be answered"),
    ],
)
def test_model_failures_are_one_json_error(
    fake: HeldFake, failure: Exception, status: int, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with client() as c:
            fake.failure = failure
            reply = await ask(c, "harga")
            assert reply.status_code == status
            assert reply.json()["error"].startswith(message)
            fake.failure = None
            assert (await ask(c, "harga")).json() == {"translatedText": "price"}

    asyncio.run(main())
    assert "Traceback" not in caplog.text


def test_alternatives_need_a_beam(fake: HeldFake) -> None:
    async def main() -> None:
        async with client() as c:
            reply = await ask(c, "harga", alternatives=2)
            assert reply.status_code == 500
            assert (
                reply.json()["error"]
                == "Cannot translate text: this translator offers no alternatives"
            )

    asyncio.run(main())


def test_markup_too_deep_to_read_whole_is_refused(fake: HeldFake) -> None:
    async def main() -> None:
        async with client() as c:
            deep = "<div>" * 3000 + "harga naik" + "</div>" * 3000
            reply = await ask(c, deep, format="html")
            assert reply.status_code == 400
            assert reply.json()["error"].startswith("Invalid request: cannot read the HTML")
            fine = "<div>" * 1500 + "harga naik" + "</div>" * 1500
            assert "price rises" in (await ask(c, fine, format="html")).json()["translatedText"]

    asyncio.run(main())


def test_host_names_are_checked_on_loopback_only(fake: HeldFake) -> None:
    async def main() -> None:
        elsewhere = {"Host": "news.example:5000"}
        async with client() as c:
            assert (await c.get("/health", headers=elsewhere)).status_code == 400
            assert (await c.get("/health", headers={"Host": "[::1]:5000"})).status_code == 200
        async with client(host="0.0.0.0", insecure=True) as c:
            assert (await c.get("/health", headers=elsewhere)).status_code == 200

    asyncio.run(main())
