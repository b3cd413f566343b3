"""What ``sejajar serve --ray`` adds, without a cluster: the replica settings, the proxy's
retry of a request whose replica died, and the command's one-line errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sejajar.serve.metrics import Metrics
from sejajar.serve.rayproxy import RetryLost
from sejajar.serve.service import Service
from sejajar.serve.settings import RaySettings, ServeError, ServeSettings
from sejajar.translate.engines import ModelSettings, TranslatorSession
from tests.helpers import run
from tests.modelfactory import ROOT


def _text(metrics: Metrics) -> str:
    return metrics.render()[0].decode()


def _value(text: str, sample: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return None


# (settings, the error's piece or None, the deployment's scaling options)
# fmt: off
SETTINGS: list[tuple[dict[str, Any], str | None, dict[str, Any] | None]] = [
    ({"ray": "local"}, None, {"num_replicas": 1}),
    ({"ray": "local", "replicas": 4}, None, {"num_replicas": 4}),
    ({"ray": "local", "min_replicas": 1, "max_replicas": 4}, None,
     {"autoscaling_config": {"min_replicas": 1, "max_replicas": 4, "target_ongoing_requests": 2}}),
    ({"ray": "local", "min_replicas": 2}, None,
     {"autoscaling_config": {"min_replicas": 2, "max_replicas": 2, "target_ongoing_requests": 2}}),
    ({"ray": "local", "max_replicas": 3}, None,
     {"autoscaling_config": {"min_replicas": 1, "max_replicas": 3, "target_ongoing_requests": 2}}),
    ({"ray": "local", "replicas": 2, "max_replicas": 3}, "not both", None),
    ({"ray": "local", "min_replicas": 5, "max_replicas": 3}, "min_replicas 5 is more than", None),
    ({"ray": "local", "replica_cpus": 0}, "replica_cpus must be at least 0.01", None),
    ({"replicas": 2}, "are for ray", None),
]
# fmt: on


@pytest.mark.parametrize(("settings", "problem", "scaling"), SETTINGS)
def test_replica_settings(
    settings: dict[str, Any], problem: str | None, scaling: dict[str, Any] | None
) -> None:
    if problem is None:
        found = RaySettings(**settings)
        assert found.scaling(target=2) == scaling
        assert scaling is not None  # the ingress's lanes: one per thread of the most replicas
        most = scaling.get("num_replicas") or scaling["autoscaling_config"]["max_replicas"]
        assert found.most_replicas == most
    else:
        with pytest.raises(ServeError, match=problem):
            RaySettings(**settings)


class LosingProxy:
    """Ray Serve's proxy as the middleware sees it: the first ``lost`` requests end with no
    answer (their replica died); later ones echo the body they were sent."""

    def __init__(self, lost: int) -> None:
        self.lost, self.calls = lost, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        message = await receive()
        if self.calls <= self.lost:
            if self.calls % 2:
                raise RuntimeError("ActorDiedError")
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": message["body"]})


@pytest.mark.parametrize(("lost", "status"), [(0, 200), (1, 200), (2, 503)])
def test_a_request_of_a_lost_replica_is_sent_again_once(lost: int, status: int) -> None:
    proxy = LosingProxy(lost)

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=RetryLost(proxy))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.post("/translate", content=b'{"q": "Presiden tiba."}')

    reply = asyncio.run(ask())
    assert reply.status_code == status
    assert proxy.calls == min(lost + 1, 2)
    if status == 200:
        assert reply.content == b'{"q": "Presiden tiba."}'
    else:
        assert reply.headers["retry-after"] == "1"
        assert "replica holding the request was lost" in reply.json()["error"]


def test_ray_options_without_ray_are_usage_errors(tmp_path: Any) -> None:
    code, _, err = run("serve", "--replicas", "2", "--model", str(tmp_path))
    assert (code, err) == (
        2,
        "Error: --replicas, --min-replicas and --max-replicas are for --ray\n",
    )
    code, _, err = run("serve", "--ray", "auto", "--replicas", "2", "--max-replicas", "3",
                       "--model", str(tmp_path))  # fmt: skip
    assert (code, err.strip()) == (
        2, "Error: give --replicas, or --min-replicas and --max-replicas, not both")  # fmt: skip


def test_without_ray_serve_installed_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    code, _, err = run("serve", "--ray", "auto", "--port", "0", "--model", str(tmp_path))
    assert (code, err) == (
        1,
        "Error: --ray needs Ray Serve, which is not installed: pip install 'sejajar[serve,ray]'\n",
    )


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("127.0.0.1:1", "Error: cannot reach Ray at 127.0.0.1:1: Connection refused"),
        ("nowhere", "Error: --ray nowhere: not auto, local or HOST:PORT"),
    ],
)
@pytest.mark.slow
def test_an_unreachable_cluster_is_one_line(address: str, said: str, tmp_path: Any) -> None:
    # A process of its own: this one may hold a Ray of another test module.
    done = subprocess.run(
        [sys.executable, "-m", "sejajar", "serve", "--ray", address, "--port", "0", "--model",
         str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr.strip()) == (1, said)


def test_thread_lanes_translate_as_one_lane_does(tiny_model: Path) -> None:
    """A replica's lanes are threads over one loaded model (no fork): each translates with
    one torch thread, and together they give what one lane gives, however requests interleave."""
    import torch

    texts = [f"Presiden berbicara di Jakarta pada hari ke-{n}." for n in range(24)]
    settings = ModelSettings(model=str(tiny_model), workers=1, threads=2, calibrate=False)
    found, before = {}, torch.get_num_threads()
    for threads in (0, 2):
        service = Service(TranslatorSession(settings, cache=False), ServeSettings(), threads)
        service.load()
        try:
            lanes = len(service.lanes)
            per_lane = [service.batcher.call(torch.get_num_threads, lane=n) for n in range(lanes)]

            async def clients(service: Service = service) -> list[list[str]]:
                service.start()
                try:  # one request per sentence, all at once: the lanes share them
                    asked = [service.translate_texts([text], html=False) for text in texts]
                    return [done for done, _ in await asyncio.gather(*asked)]
                finally:
                    await service.stop()

            found[threads] = (lanes, per_lane, asyncio.run(clients()))
        finally:
            service.close()
            torch.set_num_threads(before)
    assert found[0][0] == 1 and found[2][0] == 2
    assert found[2][1] == [1, 1]
    assert found[2][2] == found[0][2]


class _Method:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def remote(self, *args: Any) -> Any:
        return self.answer(*args)


class FakeModel:
    """The model deployment's handle as the ingress sees it: calls to ``translate`` answer
    from replicas "a" and "b" in turn; the first ``lost`` calls fail as a lost replica's do."""

    def __init__(self, lost: int) -> None:
        self.lost, self.calls, self.answered = lost, 0, 0
        self.latest: dict[str, int] = {}
        self.translate = _Method(self._translate)

    async def _translate(self, texts: list[str]) -> Any:
        from ray.exceptions import ActorDiedError

        from sejajar.serve.rayreplica import Answer
        from sejajar.translate.translator import Translation, TranslatorError

        self.calls += 1
        if self.calls <= self.lost:
            raise ActorDiedError()
        if texts == ["rusak"]:
            raise TranslatorError("the model failed")
        replica = "ab"[self.calls % 2]
        self.latest[replica] = self.calls  # the replica's running count of sentences
        self.answered += 1
        return Answer(replica, [Translation(t.upper()) for t in texts], (self.calls, 0, 0), 3)


@pytest.mark.parametrize(("lost", "status"), [(0, 200), (1, 200), (2, 503)])
def test_the_ingress_sends_a_lost_batch_once_more_then_answers_503(
    lost: int, status: int, tmp_path: Path
) -> None:
    """A batch whose model replica was lost goes once more, then its request gets a 503
    (never a hang); the model's own error is a 500; the counts are every replica's summed."""
    pytest.importorskip("ray")
    from sejajar.serve.app import build_app
    from sejajar.serve.keys import Keys
    from sejajar.serve.rayingress import RemoteService
    from sejajar.serve.rayreplica import Described, ReplicaSetup

    setup = ReplicaSetup(ModelSettings(model=str(tmp_path)), False, ServeSettings(), Keys([]))
    model = FakeModel(lost)
    service = RemoteService(setup, Described((("model", "fake"),), 16, ()), model, lanes=2)
    assert (service.batcher.fill, service.batcher.most) == (16, 32)

    async def ask() -> list[httpx.Response]:
        app = build_app(service, setup.keys)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://localhost")
        async with app.router.lifespan_context(app), client as c:
            return [await c.post("/translate", json={"q": q, "source": "id", "target": "en"})
                    for q in ("satu", "rusak", "dua", "tiga")]  # fmt: skip

    try:
        first, broken, second, third = asyncio.run(ask())
    finally:
        service.close()
    assert first.status_code == status
    if status == 503:
        assert first.headers["retry-after"] == "1"
        assert "replica holding the request was lost" in first.json()["error"]
    else:
        assert first.json() == {"translatedText": "SATU"}
    assert broken.status_code == 500 and "the model failed" in broken.json()["error"]
    assert [r.json()["translatedText"] for r in (second, third)] == ["DUA", "TIGA"]
    assert model.calls == 4 + min(lost, 1)  # a lost batch went once more, no more
    text = _text(service.metrics)
    served = _value(text, 'sejajar_sentences_served_total{source="model"}')
    assert served == sum(model.latest.values())
    assert _value(text, "sejajar_source_tokens_total") == 3 * model.answered
