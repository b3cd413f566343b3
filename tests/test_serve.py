"""``sejajar serve`` as a real process on a free port, with real clients: LibreTranslate's
own Python client, httpx for the native API, 32 concurrent clients, hostile requests, keys,
kill -9 and SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import KONTAN, LIPUTAN, run
from tests.modelfactory import ROOT
from tests.servers import Server, serving

pytestmark = pytest.mark.slow

SENTENCES = [
    "Presiden tiba di Jakarta pada Rabu (26/4/2023).",
    "Harga naik 3,5 persen di Washington D.C pada pukul 14.30 WIB.",
    "Amerika Serikat dan Korea Selatan sepakat memperkuat kerja sama.",
    "Korea Utara tidak menanggapi permintaan komentar.",
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The server's own cache folder (the per-test one is not set yet in module fixtures)."""
    return {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("xdg")), "SEJAJAR_CALIBRATE": "0"}


# A sentence's translation depends on the batch it is in: padding changes the shapes of the
# matrix products, so their sums round differently, and a random model's near-ties flip (the
# CLI too gives another text for a sentence when the file around it changes). So the server
# and the CLI run batches of one here, where both must give exactly the same text; the queue
# still gathers many requests' sentences into each call to the model.
ONE = ("--batch-size", "1")


@pytest.fixture(scope="module")
def server(tiny_model: Path, env: dict[str, str]) -> Iterator[Server]:
    # A deadline past the tests' own timeouts: on a loaded machine the long requests that
    # hold every lane (below) may take more than the default 60 s, and must still answer 200.
    with serving(tiny_model, "--no-cache", *ONE, "--deadline", "600", env=env) as running:
        yield running


def cli_targets(model: Path, texts: list[str], folder: Path) -> list[str]:
    """What ``sejajar translate`` gives for each text (one paragraph each)."""
    source = folder / "sentences.txt"
    source.write_text("\n\n".join(texts) + "\n", "utf-8")
    code, _, err = run("translate", str(source), "--out", str(folder), "--format", "jsonl",
                       "--model", str(model), "--no-cache", "--force", *ONE)  # fmt: skip
    assert code == 0, err
    lines = (folder / "sentences.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["target"] for line in lines]


def test_libretranslate_client_works_unchanged(
    server: Server, tiny_model: Path, tmp_path: Path
) -> None:
    from libretranslatepy import LibreTranslateAPI

    client = LibreTranslateAPI(server.url + "/")
    expected = cli_targets(tiny_model, SENTENCES[:1], tmp_path)
    assert client.translate(SENTENCES[0], "id", "en") == expected[0]
    assert {"code": "id", "name": "Indonesian", "targets": ["en"]} in client.languages()
    detected = client.detect("Presiden tiba di Jakarta dan disambut oleh para menteri.")
    assert detected[0]["language"] == "id"
    assert (
        client.detect("The president arrived in Jakarta and was met by the ministers.")[0][
            "language"
        ]
        == "en"
    )


def test_32_concurrent_clients_get_the_cli_outputs(
    server: Server, tiny_model: Path, tmp_path: Path
) -> None:
    texts = [f"{s[:-1]} nomor {n}." for n in range(8) for s in SENTENCES]  # 32 distinct
    expected = cli_targets(tiny_model, texts, tmp_path)
    before = _metric(server, "sejajar_batch_sentences_count")

    def one(text: str) -> str:
        reply = httpx.post(server.url + "/translate", timeout=120,
                           json={"q": text, "source": "id", "target": "en"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        return str(reply.json()["translatedText"])

    with ThreadPoolExecutor(32) as pool:
        got = list(pool.map(one, texts))
    assert got == expected
    # They shared the model's calls: fewer calls than requests.
    assert _metric(server, "sejajar_batch_sentences_count") - before < len(texts)


def test_list_q_html_and_alternatives(server: Server, tiny_model: Path, tmp_path: Path) -> None:
    expected = cli_targets(tiny_model, SENTENCES[:2], tmp_path)
    reply = httpx.post(server.url + "/translate", data={"q": SENTENCES[:2], "source": "id",
                       "target": "en"}, timeout=60).json()  # fmt: skip
    assert reply == {"translatedText": expected}
    markup = f'<p class="lead">{SENTENCES[0]}</p><code>{SENTENCES[1]}</code>'
    reply = httpx.post(server.url + "/translate", timeout=60, json={
        "q": markup, "source": "id", "target": "en", "format": "html"}).json()  # fmt: skip
    assert (
        reply["translatedText"] == f'<p class="lead">{expected[0]}</p><code>{SENTENCES[1]}</code>'
    )
    reply = httpx.post(server.url + "/translate", timeout=60, json={
        "q": SENTENCES[0], "source": "auto", "target": "en", "alternatives": 2}).json()  # fmt: skip
    assert reply["translatedText"] == expected[0]
    assert reply["detectedLanguage"]["language"] == "id"
    assert len(reply["alternatives"]) == 2
    assert expected[0] not in reply["alternatives"]


@pytest.mark.parametrize(
    "name", ["kontan-2023-04-26-us-south-korea", "liputan6-2016-10-20-us-south-korea"]
)
def test_native_translate_equals_the_cli_files(
    server: Server, tiny_model: Path, tmp_path: Path, name: str
) -> None:
    source = ROOT / "texts" / f"{name}.id.txt"
    code, _, err = run("translate", str(source), "--out", str(tmp_path), "--format", "jsonl",
                       "--model", str(tiny_model), "--no-cache", *ONE)  # fmt: skip
    assert code == 0, err
    reply = httpx.post(server.url + "/v1/translate", timeout=120, json={
        "text": source.read_text("utf-8"), "name": f"{name}.id"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    lines = (tmp_path / f"{name}.id.jsonl").read_text("utf-8").splitlines()
    assert reply.json()["records"] == [json.loads(line) for line in lines]
    assert reply.json()["meta"] == json.loads((tmp_path / f"{name}.id.meta.json").read_text())


def test_native_align_equals_the_cli_files(
    server: Server, tiny_model: Path, tmp_path: Path
) -> None:
    target = ROOT / "tests" / "data" / "kontan.en.txt"
    code, _, err = run("align", str(KONTAN), str(target), "--out", str(tmp_path), "--format",
                       "jsonl", "--model", str(tiny_model), "--no-cache", *ONE)  # fmt: skip
    assert code == 0, err
    reply = httpx.post(server.url + "/v1/align", timeout=120, json={
        "source": KONTAN.read_text("utf-8"), "target": target.read_text("utf-8"),
        "name": KONTAN.stem})  # fmt: skip
    assert reply.status_code == 200, reply.text
    lines = (tmp_path / f"{KONTAN.stem}.jsonl").read_text("utf-8").splitlines()
    assert reply.json()["records"] == [json.loads(line) for line in lines]
    assert reply.json()["meta"] == json.loads((tmp_path / f"{KONTAN.stem}.meta.json").read_text())
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/translate", "/v1/align", "/translate"} <= set(schema["paths"])


def test_a_client_that_leaves_is_dropped_from_the_queue(server: Server) -> None:
    import time

    # Long requests hold every lane (a lane per worker, at most one per core); the short one
    # waits behind what is left of them.
    lanes = min(len(os.sched_getaffinity(0)), 8)
    bigs = [" ".join(f"Presiden tiba di Jakarta nomor {n} {lane}." for n in range(200))
            for lane in range(lanes)]  # fmt: skip
    dropped = _metric(server, "sejajar_requests_dropped_total")
    sentences = _metric(server, "sejajar_sentences_total")
    with ThreadPoolExecutor(lanes) as pool:
        holding = [pool.submit(httpx.post, server.url + "/translate", json=_translate(q=big),
                               timeout=600) for big in bigs]  # fmt: skip
        end = time.monotonic() + 60
        while not httpx.get(server.url + "/health").json()["busy"]:
            assert time.monotonic() < end
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes its connection
            httpx.post(server.url + "/translate", json=_translate(q="Harga naik."), timeout=0.5)
        assert all(h.result().status_code == 200 for h in holding)
    end = time.monotonic() + 10
    while _metric(server, "sejajar_requests_dropped_total") == dropped:
        assert time.monotonic() < end
        time.sleep(0.05)
    assert _metric(server, "sejajar_requests_dropped_total") == dropped + 1
    assert _metric(server, "sejajar_sentences_total") == sentences + 200 * lanes  # not it
    assert any('"status": 499' in line for line in server.lines)


def _translate(**fields: object) -> dict[str, object]:
    return {"q": "Presiden tiba.", "source": "id", "target": "en", **fields}


JSON = {"Content-Type": "application/json"}
# (what is sent, the status, a piece of the message)
# fmt: off
BAD = [
    ({"json": _translate(source="fr")}, 400, "fr is not supported"),
    ({"json": _translate(target="de")}, 400, "id (or auto) to en"),
    ({"json": _translate(q="")}, 400, "missing q"),
    ({"json": _translate(q=[])}, 400, "missing q"),
    ({"json": _translate(q=["a"] * 10_000)}, 400, "exceeds text limit"),
    ({"json": _translate(q="a" * 10_000_000)}, 413, "too large"),
    (
        {"content": b'{"q": "a", "source": ', "headers": JSON},
        400,
        "Invalid JSON",
    ),
    (
        {"content": b"[" * 200_000, "headers": JSON},
        400,
        "Invalid JSON",
    ),
    (
        {"content": b'["q"]', "headers": JSON},
        400,
        "expected an object",
    ),
    (
        {
            "content": b'{"q": "a\\u0000b", "source": "id", "target": "en"}',
            "headers": JSON,
        },
        400,
        "NUL",
    ),
    (
        {
            "content": b'{"q": "a\\ud800b", "source": "id", "target": "en"}',
            "headers": JSON,
        },
        400,
        "lone surrogate",
    ),
    (
        {
            "content": b'{"q": "a", "source": "id", "target": "en"}\xff',
            "headers": JSON,
        },
        400,
        "Invalid JSON",
    ),
    ({"json": _translate(alternatives=1000)}, 400, "alternatives must be"),
    ({"json": _translate(alternatives="x")}, 400, "alternatives must be"),
    ({"json": _translate(extra=1)}, 400, "unknown parameter 'extra'"),
    ({"json": _translate(q=5)}, 400, "string or a list"),
    ({"json": _translate(q=["a", {"b": 1}])}, 400, "string or a list"),
    ({"json": _translate(format="pdf")}, 400, "pdf format"),
    ({"json": _translate(source=["id"])}, 400, "language code"),
    ({"files": {"q": ("a.txt", b"x")}, "data": {"source": "id", "target": "en"}}, 400, "files"),
]
# fmt: on


def test_bad_requests_get_one_clear_error_each(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for request, status, piece in BAD:
            reply = client.post("/translate", **request)  # type: ignore[arg-type]
            assert reply.status_code == status, (request.get("json"), reply.text[:200])
            assert piece in reply.json()["error"], reply.text
        checks = [
            (
                client.post("/v1/translate", json={"text": "Presiden tiba.", "extra": 1}),
                400,
                "unknown",
            ),
            (client.post("/v1/translate", json={"text": 5}), 400, "text"),
            (
                client.post(
                    "/v1/translate", content=b"{", headers={"Content-Type": "application/json"}
                ),
                400,
                "JSON",
            ),
            (client.post("/v1/translate", json={"text": "  "}), 400, "no sentence"),
            (
                client.post("/v1/translate", json={"text": "Presiden tiba.", "name": "../x"}),
                400,
                "name",
            ),
            (client.post("/v1/align", json={"source": "a"}), 400, "target"),
            (client.post("/detect", json={}), 400, "missing q"),
            (client.get("/nowhere"), 404, "Not Found"),
            (client.get("/translate"), 405, "Method Not Allowed"),
            (
                client.post("/translate", json=_translate(), headers={"Host": "evil.example"}),
                400,
                "host",
            ),
        ]
        for reply, status, piece in checks:
            assert reply.status_code == status, reply.text[:200]
            assert piece in reply.json()["error"], reply.text
        assert client.get("/health").json()["status"] == "ok"
        assert client.post("/translate", json=_translate()).status_code == 200
    assert "Traceback" not in server.log
    logged = [json.loads(line) for line in server.lines if line.startswith("{")]
    assert {line["status"] for line in logged} >= {200, 400, 404, 405, 413}
    assert not any("Presiden" in line for line in server.lines)  # no text without --log-text


def test_keys_are_required_and_checked(
    tiny_model: Path, env: dict[str, str], tmp_path: Path
) -> None:
    import hashlib

    from libretranslatepy import LibreTranslateAPI

    key, hashed = "a-newsroom-key-0001", "another-key-held-hashed"
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# desk\n{key}\nsha256:{hashlib.sha256(hashed.encode()).hexdigest()}\n")
    with serving(tiny_model, "--no-cache", "--api-keys", str(keys), env=env) as server:
        assert LibreTranslateAPI(server.url + "/", key).translate("Presiden tiba.", "id", "en")
        assert LibreTranslateAPI(server.url + "/", hashed).translate("Presiden tiba.", "id", "en")
        for given in (None, "wrong-key-wrong-key", key[:-1]):
            fields = _translate(**({"api_key": given} if given else {}))
            reply = httpx.post(server.url + "/translate", json=fields)
            assert reply.status_code == 403 and "API key" in reply.json()["error"]
        bearer = {"Authorization": f"Bearer {key}"}
        reply = httpx.post(
            server.url + "/v1/translate", json={"text": "Presiden tiba."}, headers=bearer
        )
        assert reply.status_code == 200
        assert (
            httpx.post(server.url + "/v1/translate", json={"text": "Presiden tiba."}).status_code
            == 403
        )
        settings = httpx.get(server.url + "/frontend/settings").json()
        assert settings["keyRequired"] is True
    assert key not in server.log


def test_public_host_needs_keys_and_bad_key_files_are_one_line(tmp_path: Path) -> None:
    code, _, err = run("serve", "--host", "0.0.0.0", "--model", str(tmp_path))
    assert code == 2 and "no --api-keys" in err and "--insecure" in err
    short = tmp_path / "keys.txt"
    short.write_text("abc\n")
    code, _, err = run("serve", "--api-keys", str(short), "--model", str(tmp_path))
    assert code == 1 and "line 1" in err and len(err.strip().splitlines()) == 1


def test_port_in_use_and_missing_model_are_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run("serve", "--port", str(port), "--model", str(tmp_path / "none"))
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in err
    code, _, err = run("serve", "--port", "0", "--model", str(tmp_path / "none"))
    assert code == 1 and err.strip() == f"Error: model folder {tmp_path / 'none'} does not exist"


def test_kill_9_under_load_then_restart_keeps_the_cache(
    tiny_model: Path, env: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite"
    args = ("--cache", str(cache))
    with serving(tiny_model, *args, env=env) as server:
        first = httpx.post(server.url + "/translate", json=_translate(q=SENTENCES), timeout=60)
        assert first.status_code == 200
        stop = threading.Event()

        def load() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                    httpx.post(server.url + "/translate", timeout=10,
                               json=_translate(q=[f"{s} {n}" for s in SENTENCES]))  # fmt: skip

        loaders = [threading.Thread(target=load) for _ in range(4)]
        for thread in loaders:
            thread.start()
        try:
            import time

            time.sleep(1.5)
            assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        finally:
            stop.set()
            for thread in loaders:
                thread.join(30)
    with sqlite3.connect(cache) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with serving(tiny_model, *args, env=env) as again:
        reply = httpx.post(again.url + "/translate", json=_translate(q=SENTENCES), timeout=60)
        assert reply.json() == first.json()
        assert _metric(again, 'sejajar_sentences_served_total{source="cache"}') == len(SENTENCES)
    assert "Warning" not in again.log  # the cache opened as it was


def test_sigterm_lets_queued_work_finish(tiny_model: Path, env: dict[str, str]) -> None:
    with serving(tiny_model, "--no-cache", env=env) as server:
        article = LIPUTAN.read_text("utf-8")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, server.url + "/v1/translate",
                                  json={"text": article}, timeout=120)  # fmt: skip
            import time

            end = time.monotonic() + 30
            while (
                httpx.get(server.url + "/health").json()["queue"] == 0
                and not (httpx.get(server.url + "/health").json()["busy"])
            ):
                assert time.monotonic() < end
            assert server.stop(signal.SIGTERM) == 0
            assert pending.result().status_code == 200
    assert server.lines[-1] == "Stopped"


def _metric(server: Server, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0
