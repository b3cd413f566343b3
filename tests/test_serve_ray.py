"""``sejajar serve --ray`` on a two-node Ray cluster on this machine (``ray.cluster_utils``):
two replicas, one a node, answer LibreTranslate's client as the one-machine server does, with
one set of keys and metrics; SIGTERM drains; a replica killed under load is replaced, and no
request hangs or gets a bare error meanwhile. Each test stops the cluster it starts."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import LIPUTAN
from tests.rayclusters import two_nodes
from tests.servers import ONE, SENTENCES, Server, serving

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
pytest.importorskip("ray.serve", reason="the ray extra is not installed")

pytestmark = [pytest.mark.ray, pytest.mark.slow]

KEY = "a-newsroom-key-0001"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "SEJAJAR_CALIBRATE": "0"}


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two Ray nodes of one CPU each on loopback; the address of the head."""
    with two_nodes(monkeypatch) as started:
        yield started.address


def _ray_server(model: Path, address: str, keys: Path, env: dict[str, str]) -> Server:
    return Server(["--model", str(model), "--no-cache", *ONE, "--ray", address, "--replicas",
                   "2", "--api-keys", str(keys)], env)  # fmt: skip


def _healths(server: Server, times: int) -> list[dict[str, object]]:
    return [httpx.get(server.url + "/health", timeout=30).json() for _ in range(times)]


def _metric(server: Server, name: str) -> float:
    text = httpx.get(server.url + "/metrics", timeout=30).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_two_replicas_on_two_nodes_answer_as_the_one_machine_server(
    cluster: str, tiny_model: Path, env: dict[str, str], tmp_path: Path
) -> None:
    from libretranslatepy import LibreTranslateAPI

    texts = [f"{s[:-1]} nomor {n}." for n in range(4) for s in SENTENCES]  # 16 distinct
    with serving(tiny_model, "--no-cache", *ONE, env=env) as alone:
        plain = LibreTranslateAPI(alone.url + "/")
        with ThreadPoolExecutor(8) as pool:
            expected = list(pool.map(lambda t: plain.translate(t, "id", "en"), texts))
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY + "\n")
    server = _ray_server(tiny_model, cluster, keys, env)
    try:
        healths = _healths(server, 30)
        assert {h["replicas"] for h in healths} == {2}
        assert len({h["node"] for h in healths}) == 2, "the replicas are not on two nodes"
        client = LibreTranslateAPI(server.url + "/", KEY)
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda t: client.translate(t, "id", "en"), texts))
        assert got == expected
        reply = httpx.post(server.url + "/translate", json={"q": "a", "source": "id",
                           "target": "en"}, timeout=30)  # fmt: skip
        assert reply.status_code == 403 and "API key" in reply.json()["error"]
        # The metrics are the whole service's, whichever replica answers.
        served = 'sejajar_requests_total{route="/translate",status="200"}'
        end = time.monotonic() + 10
        while _metric(server, served) != len(texts) and time.monotonic() < end:
            time.sleep(0.5)
        assert _metric(server, served) == len(texts)
        assert _metric(server, 'sejajar_requests_total{route="/translate",status="403"}') == 1
        # SIGTERM: the replicas finish what they hold, then the command ends.
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, server.url + "/v1/translate", timeout=120,
                                  json={"text": LIPUTAN.read_text("utf-8"), "api_key": KEY})  # fmt: skip
            time.sleep(1.0)
            assert server.stop(signal.SIGTERM, timeout=120) == 0
            assert pending.result().status_code == 200
        assert server.lines[-1] == "Stopped"
        assert "Traceback" not in server.log
    finally:
        server.stop()


def _replica_pids(actor: bytes = b"ServeReplica:sejajar-model:sejajar-replica") -> set[int]:
    pids = set()
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and actor in (proc / "cmdline").read_bytes():
                pids.add(int(proc.name))
    return pids


def _environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def test_a_local_ray_runs_with_the_lighter_settings_a_cluster_keeps_its_own(
    tiny_model: Path, env: dict[str, str]
) -> None:
    """``--ray local``: Ray started for the service alone (its metrics and task events off,
    Serve's control loop slower) still serves and stops on SIGTERM."""
    server = Server(["--model", str(tiny_model), "--no-cache", *ONE, "--ray", "local",
                     "--replicas", "1"], env)  # fmt: skip
    try:
        assert {h["replicas"] for h in _healths(server, 3)} == {1}
        reply = httpx.post(server.url + "/translate", timeout=60, json={
            "q": SENTENCES[0], "source": "id", "target": "en"})  # fmt: skip
        assert reply.status_code == 200 and reply.json()["translatedText"]
        (controller,) = _replica_pids(b"ray::ServeController")
        assert _environ(controller)["RAY_SERVE_CONTROL_LOOP_INTERVAL_S"] == "0.5"
        assert server.stop(signal.SIGTERM, timeout=120) == 0
        assert server.lines[-1] == "Stopped"
        assert "Traceback" not in server.log
    finally:
        server.stop()


def test_a_replica_killed_under_load_is_replaced_and_no_request_hangs(
    cluster: str, tiny_model: Path, env: dict[str, str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY + "\n")
    server = _ray_server(tiny_model, cluster, keys, env)
    try:
        before = {h["replica"] for h in _healths(server, 20)}
        pids = _replica_pids()
        assert len(pids) == 2
        # A cluster joined keeps its own Serve settings (the lighter ones are --ray local's).
        (controller,) = _replica_pids(b"ray::ServeController")
        assert "RAY_SERVE_CONTROL_LOOP_INTERVAL_S" not in _environ(controller)
        stop = threading.Event()
        answers: Counter[object] = Counter()
        bodies: list[str] = []
        slowest = [0.0]

        def load(k: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                started = time.monotonic()
                try:
                    reply = httpx.post(server.url + "/translate", timeout=60, json={
                        "q": f"{SENTENCES[k % 4]} {n}", "source": "id", "target": "en",
                        "api_key": KEY})  # fmt: skip
                    answers[reply.status_code] += 1
                    if reply.status_code != 200:
                        bodies.append(reply.text)
                except httpx.HTTPError as exc:  # a hang ends as ReadTimeout
                    answers[type(exc).__name__] += 1
                slowest[0] = max(slowest[0], time.monotonic() - started)

        loaders = [threading.Thread(target=load, args=(k,)) for k in range(6)]
        for thread in loaders:
            thread.start()
        try:
            time.sleep(3)
            victim = min(pids)
            os.kill(victim, signal.SIGKILL)
            time.sleep(10)
        finally:
            stop.set()
            for thread in loaders:
                thread.join(90)
        assert not any(thread.is_alive() for thread in loaders), "a request hung"
        assert set(answers) <= {200, 503}, (answers, bodies[:3])
        assert answers[200] > 0
        assert all("replica holding the request was lost" in body for body in bodies)
        assert slowest[0] < 30
        # Ray replaces the replica; the service answers with two again.
        end = time.monotonic() + 60
        healths = _healths(server, 1)
        while time.monotonic() < end:
            healths = _healths(server, 10)
            if {h["replicas"] for h in healths} == {2} and len(_replica_pids()) == 2:
                break
            time.sleep(1)
        assert {h["replicas"] for h in healths} == {2}
        assert victim not in _replica_pids() and len(_replica_pids()) == 2
        assert {h["replica"] for h in _healths(server, 20)} != before
        reply = httpx.post(server.url + "/translate", timeout=30, json={
            "q": SENTENCES[0], "source": "id", "target": "en", "api_key": KEY})  # fmt: skip
        assert reply.status_code == 200
    finally:
        server.stop()
