"""Driving the team review's page (``/review/`` on ``sejajar serve --db``) in headless
Chromium, for its browser tests and nothing else: sign in, open a document, press keys, wait
for the outbox to empty, read what the database holds, and a server restarted on its port."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browsers import press
from tests.reviewing import PASSWORD, Seeded
from tests.servers import Server


def wait_for(check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except WebDriverException:  # an element replaced, or not there yet: the page moves on
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def ready(driver: Any) -> bool:
    return "ready" in (driver.execute_script("return document.documentElement.className") or "")


def sign_in(driver: Any, url: str, name: str, password: str = PASSWORD) -> None:
    """Sign in through the page's form; back on the list of documents."""
    driver.get(url + "/review/")
    wait_for(lambda: ready(driver), "the sign-in form")
    driver.find_element("id", "username").send_keys(name)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "sign-in-button").click()
    wait_for(lambda: ready(driver) and driver.find_element("id", "documents").is_displayed(),
             "the list of documents")  # fmt: skip


def open_document(driver: Any, url: str, document: int) -> None:
    driver.get(f"{url}/review/documents/{document}")
    wait_for(lambda: ready(driver), "the document's page")


def decide(driver: Any, keys: str) -> None:
    """Keys pressed one by one (each a decision or a move)."""
    for key in keys:
        press(driver, key)


def waiting(driver: Any) -> int:
    return int(driver.find_element("id", "sync").get_attribute("data-waiting") or 0)


def all_saved(driver: Any, seconds: float = 60) -> None:
    try:
        wait_for(lambda: driver.find_element("id", "sync").get_attribute("data-waiting") == "0",
                 "the outbox to empty", seconds)  # fmt: skip
    except AssertionError:
        sync = driver.find_element("id", "sync")
        outbox = driver.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
        raise AssertionError(f"still waiting: {sync.text!r} {sync.get_attribute('title')!r} "
                             f"{outbox[:2000]}") from None  # fmt: skip


def statuses(driver: Any) -> dict[int, str]:
    found = driver.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('tr.pair'))"
        ".map(r => [r.dataset.id, r.querySelector('td.status').textContent]))"
    )
    return {int(k): v for k, v in found.items()}


def ids(driver: Any) -> list[int]:
    return [int(i) for i in driver.execute_script(
        "return Array.from(document.querySelectorAll('tr.pair')).map(r => r.dataset.id)")]  # fmt: skip


def stored(url: str, document: int) -> dict[int, tuple[str, int, str | None]]:
    """What the database holds for the document's pairs: position -> (decision, version,
    who saved it last)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT p.position, p.decision, p.version, u.name FROM pairs p "
                     "LEFT JOIN users u ON u.id = p.updated_by_id WHERE p.document_id = :d"),
                {"d": document},
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    return {position: (decision, version, who) for position, decision, version, who in rows}


def saves(url: str, document: int) -> int:
    """How many saves the database's history holds for the document."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM history h JOIN pairs p ON p.id = h.pair_id "
                     "WHERE p.document_id = :d"), {"d": document},
            ).scalar_one()  # fmt: skip
    finally:
        engine.dispose()
    return int(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Restartable:
    """``sejajar serve --db`` on a port of its own, started again on that port after a stop
    or a kill (the last --port wins), so a page open on it finds the server again."""

    def __init__(self, model: Path, seeded: Seeded) -> None:
        self.args = ["--model", str(model), "--workers", "1", "--db", seeded.url,
                     "--port", str(free_port())]  # fmt: skip
        self.server = Server(self.args)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.server.stop(sig)

    def start(self) -> None:
        self.server = Server(self.args)


def hostile_document(outputs: Path, folder: Path, payloads: list[str]) -> Path:
    """A copy of the first sample's JSONL (and meta.json) whose first pairs' texts are the
    payloads, as document ``hostile``."""
    first = sorted(outputs.glob("*.jsonl"))[0]
    lines = [json.loads(line) for line in first.read_text("utf-8").splitlines() if line]
    pairs = [r for r in lines if r["source_ids"] and r["target_ids"]]
    for record, payload in zip(pairs, payloads, strict=False):
        record["source"] = payload
        record["target"] = payload
        for flag in record["flags"]:
            flag["reason"] = payload
    path = folder / "hostile.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    meta = first.with_name(first.name.removesuffix(".jsonl") + ".meta.json")
    (folder / "hostile.meta.json").write_text(meta.read_text("utf-8"), "utf-8")
    return path
