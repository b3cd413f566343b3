"""The team review under outages (issue 23): scripted reviewers save decisions through the
real API of ``sejajar serve --db`` while the server is killed with SIGKILL and restarted, on
SQLite and on PostgreSQL. Nothing may be lost or stored twice.

Each reviewer is a thread with its own HTTP client, signed in, on a document of its own (made
here: ``--pairs`` pairs each), saving ``--decisions / --reviewers`` decisions one after the
other over its pairs, each with a new Idempotency-Key and the version its last answer gave. A
save with no answer (the server dead, restarting, or the answer lost) is sent again, same key
and body, until the server answers. Meanwhile the server is killed ``--kills`` times at even
points of the run and restarted on the same port (the tiny test model, one worker).

Rows, per database: decisions acknowledged (answered 200) and stored (history rows), saves
whose version on the server differs from the reviewer's count (must be 0), duplicates (saves
stored beyond those acknowledged, or a resend answered 409: must be 0), the save latency of
answered requests (p50/p95; target p95 < 50 ms on SQLite on the 2-core machine), and the
whole run's saves per second (restarts included), and the server's CPU time per acknowledged
save (from ready to killed, start-ups left out). Back to back (the default) measures what the
server can take; ``--pause`` gives each reviewer a think time, as people have.

    python -m bench.review                      # 20 reviewers, 10,000 decisions, 5 kills
    python -m bench.review --pause 0.25         # the same, each reviewer pausing 0.25 s
    python -m bench.review --smoke              # 4 reviewers, 200 decisions, 1 kill
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.cpu_share import process_seconds
from bench.results import options, recorded
from tests.modelfactory import build_tiny_model
from tests.servers import Server

PASSWORD = "bench review password"


@dataclass
class Tally:
    """One reviewer's count: answered saves, their latencies, resends, and the anomalies."""

    acknowledged: int = 0
    latencies: list[float] = field(default_factory=list)
    resends: int = 0
    conflicts: int = 0
    versions: dict[int, int] = field(default_factory=dict)


def _document(r: int, pairs: int) -> Any:
    """Reviewer ``r``'s document: ``pairs`` one-to-one pairs, as sejajar's JSONL has them."""
    from sejajar.review.imports import Incoming, check_meta, check_record

    records = [
        check_record({"id": i, "source": f"Kalimat {i} dari dokumen {r}.",
                      "target": f"Sentence {i} of document {r}.", "source_ids": [i],
                      "target_ids": [i], "paragraph": i // 5, "kind": "sentence", "score": 0.9,
                      "flags": []})
        for i in range(pairs)
    ]  # fmt: skip
    meta = check_meta({"name": f"doc{r:02d}", "signature": "bench", "links": pairs})
    return Incoming(f"doc{r:02d}", meta, records)


def seed(url: str, reviewers: int, pairs: int) -> dict[str, int]:
    """Users r00.. and a document each; user name -> document id."""
    from sejajar.review import accounts, imports
    from sejajar.review.database import Database, init_database

    init_database(url)
    db = Database(url)
    ids = {}
    try:
        for r in range(reviewers):
            name = f"r{r:02d}"
            accounts.add_user(db, name, "reviewer", PASSWORD)
            (done,) = imports.import_documents(db, [_document(r, pairs)], "bench", assign=name)
            ids[name] = done.id
    finally:
        db.close()
    return ids


def reviewer(
    url: str, name: str, document: int, pairs: int, count: int, tally: Tally, pause: float = 0.0
) -> None:
    """Sign in, then ``count`` saves over the pairs, each resent until answered, ``pause``
    seconds between an answer and the next decision."""
    with httpx.Client(base_url=url, timeout=10) as client:
        csrf = _call(client, tally, "POST", "/v1/session",
                     json={"username": name, "password": PASSWORD}).json()["csrf"]  # fmt: skip
        for n in range(count):
            pair = n % pairs
            version = tally.versions.get(pair, 0)
            body = {"decision": ("accepted", "rejected")[n // pairs % 2], "version": version}
            headers = {"X-CSRF-Token": csrf, "Idempotency-Key": str(uuid.uuid4())}
            path = f"/v1/review/documents/{document}/pairs/{pair}"
            answer = _call(client, tally, "PUT", path, json=body, headers=headers)
            if answer.status_code == 200:
                tally.acknowledged += 1
                tally.versions[pair] = answer.json()["version"]
            elif answer.status_code == 409:
                tally.conflicts += 1
                tally.versions[pair] = answer.json()["current"]["version"]
            else:
                raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:200]}")
            if pause:
                time.sleep(pause)


def _call(client: httpx.Client, tally: Tally, method: str, path: str, **kw: Any) -> Any:
    """The request, sent again (the same) until the server answers other than 5xx."""
    for attempt in range(10_000):
        started = time.perf_counter()
        try:
            answer = client.request(method, path, **kw)
        except httpx.HTTPError:
            answer = None
        if answer is not None and answer.status_code < 500:
            if attempt == 0 and method == "PUT":
                tally.latencies.append(time.perf_counter() - started)
            return answer
        tally.resends += 1
        time.sleep(0.05)
    raise RuntimeError(f"{path}: no answer")


def stored(url: str) -> tuple[int, dict[tuple[str, int], int]]:
    """History rows, and each (user, pair)'s version on the server."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM history")).scalar_one()
            versions = connection.execute(
                text("SELECT u.name, p.position, p.version FROM pairs p "
                     "JOIN documents d ON d.id = p.document_id "
                     "JOIN users u ON u.id = d.assigned_id")
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    return int(rows), {(name, position): version for name, position, version in versions}


def run_on(url: str, args: argparse.Namespace, model: Path) -> str:
    ids = seed(url, args.reviewers, args.pairs)
    port = _free_port()
    launch = ["--model", str(model), "--workers", "1", "--db", url, "--port", str(port)]
    server = Server(launch)
    serving = 0.0  # the servers' CPU seconds from ready to killed (start-up left out)
    ready = process_seconds(server.process.pid)
    tallies = {name: Tally() for name in ids}
    each = args.decisions // args.reviewers
    threads = [
        threading.Thread(
            target=reviewer, args=(server.url, n, d, args.pairs, each, tallies[n], args.pause)
        )
        for n, d in ids.items()
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    total = each * len(ids)
    for kill in range(1, args.kills + 1):  # at even points of the run
        point = total * kill / (args.kills + 1)
        while sum(t.acknowledged for t in tallies.values()) < point:
            if not any(thread.is_alive() for thread in threads):
                raise RuntimeError("the reviewers ended early (see above)")
            time.sleep(0.01)
        serving += process_seconds(server.process.pid) - ready
        server.stop(signal.SIGKILL)
        server = Server(launch)
        ready = process_seconds(server.process.pid)
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    serving += process_seconds(server.process.pid) - ready
    server.stop()
    rows, versions = stored(url)
    acknowledged = sum(t.acknowledged for t in tallies.values())
    conflicts = sum(t.conflicts for t in tallies.values())
    wrong = sum(
        1 for name, t in tallies.items() for pair, v in t.versions.items()
        if versions[(name, pair)] != v
    )  # fmt: skip
    latencies = sorted(x for t in tallies.values() for x in t.latencies)
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    duplicates = max(0, rows - acknowledged) + conflicts
    return (
        f"{acknowledged:12d} {rows:8d} {wrong:13d} {duplicates:10d} "
        f"{sum(t.resends for t in tallies.values()):7d} {p50:7.1f} {p95:7.1f} "
        f"{total / seconds:8.0f} {serving / max(acknowledged, 1) * 1000:9.2f}"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description="team review saves through kill -9 restarts")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=100, help="pairs per reviewer's document")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pause", type=float, default=0.0,
        help="seconds each reviewer waits between an answer and its next decision (0: back to "
        "back, the most the server can take; a person needs seconds)",
    )  # fmt: skip
    options(parser, smoke={"reviewers": 4, "decisions": 200, "pairs": 20, "kills": 1})
    args = parser.parse_args()
    with recorded("review", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="sejajar-bench-review-"))
    try:
        runs(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def runs(args: argparse.Namespace, work: Path) -> None:
    model = build_tiny_model(work / "model")
    print(
        f"{args.reviewers} reviewers, {args.decisions} decisions, {args.kills} kill -9 restarts, "
        + (f"{args.pause} s between a reviewer's decisions" if args.pause else "back to back")
    )
    print("database    acknowledged   stored  wrong version duplicates resends "
          "p50 ms  p95 ms  saves/s  server CPU ms/save")  # fmt: skip
    for kind in args.databases.split(","):
        folder = work / kind
        folder.mkdir()
        if kind == "sqlite":
            url = "sqlite:///" + str(folder / "review.sqlite3")
            print(f"{kind:11s} {run_on(url, args, model)}")
            continue
        from tests.databases import postgres_server

        try:
            with postgres_server() as server:
                row = run_on(server.new_database(), args, model)
        except BaseException as exc:  # tests.databases skips (a pytest outcome) without it
            if type(exc).__name__ != "Skipped":
                raise
            row = f"unavailable: {exc}"
        print(f"{kind:11s} {row}")


if __name__ == "__main__":
    main()
