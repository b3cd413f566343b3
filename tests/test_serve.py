"""``sejajar serve`` as a real process on a free port, with real clients: LibreTranslate's
own Python client, httpx for the native API, 32 concurrent clients, a client that leaves,
kill -9 and SIGTERM (hostile requests and keys: test_serve_requests.py)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import KONTAN, LIPUTAN, run
from tests.modelfactory import ROOT
from tests.servers import (
    ONE,
    SENTENCES,
    Server,
    metric,
    serving,
    translate_body,
)

pytestmark = pytest.mark.slow


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
    before = metric(server, "sejajar_batch_sentences_count")

    def one(text: str) -> str:
        reply = httpx.post(server.url + "/translate", timeout=120,
                           json={"q": text, "source": "id", "target": "en"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        return str(reply.json()["translatedText"])

    with ThreadPoolExecutor(32) as pool:
        got = list(pool.map(one, texts))
    assert got == expected
    # They shared the model's calls: fewer calls than requests.
    assert metric(server, "sejajar_batch_sentences_count") - before < len(texts)


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


def test_english_quotes_pass_through(server: Server, tiny_model: Path, tmp_path: Path) -> None:
    """``--foreign keep`` (the default): an English sentence in a LibreTranslate text reaches
    the answer as it was, not the model's rendering of it; the Indonesian one is translated."""
    english = "The United States will respond swiftly and decisively to any nuclear attack."
    expected = cli_targets(tiny_model, SENTENCES[:1], tmp_path)
    before = metric(server, "sejajar_sentences_total")
    reply = httpx.post(server.url + "/translate", timeout=60, json={
        "q": [f"{SENTENCES[0]} {english}", english], "source": "id", "target": "en",
        "alternatives": 1}).json()  # fmt: skip
    assert reply["translatedText"] == [f"{expected[0]} {english}", english]
    assert reply["alternatives"][1] == []
    assert metric(server, "sejajar_sentences_total") - before <= 1  # one, or a cache hit


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
    dropped = metric(server, "sejajar_requests_dropped_total")
    sentences = metric(server, "sejajar_sentences_total")
    with ThreadPoolExecutor(lanes) as pool:
        holding = [pool.submit(httpx.post, server.url + "/translate", json=translate_body(q=big),
                               timeout=600) for big in bigs]  # fmt: skip
        end = time.monotonic() + 60
        while not httpx.get(server.url + "/health").json()["busy"]:
            assert time.monotonic() < end
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes its connection
            httpx.post(server.url + "/translate", json=translate_body(q="Harga naik."), timeout=0.5)
        assert all(h.result().status_code == 200 for h in holding)
    end = time.monotonic() + 10
    while metric(server, "sejajar_requests_dropped_total") == dropped:
        assert time.monotonic() < end
        time.sleep(0.05)
    assert metric(server, "sejajar_requests_dropped_total") == dropped + 1
    assert metric(server, "sejajar_sentences_total") == sentences + 200 * lanes  # not it
    assert any('"status": 499' in line for line in server.lines)


def test_kill_9_under_load_then_restart_keeps_the_cache(
    tiny_model: Path, env: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite"
    args = ("--cache", str(cache))
    with serving(tiny_model, *args, env=env) as server:
        first = httpx.post(server.url + "/translate", json=translate_body(q=SENTENCES), timeout=60)
        assert first.status_code == 200
        stop = threading.Event()

        def load() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                    httpx.post(server.url + "/translate", timeout=10,
                               json=translate_body(q=[f"{s} {n}" for s in SENTENCES]))  # fmt: skip

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
        reply = httpx.post(again.url + "/translate", json=translate_body(q=SENTENCES), timeout=60)
        assert reply.json() == first.json()
        assert metric(again, 'sejajar_sentences_served_total{source="cache"}') == len(SENTENCES)
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
