"""The team review's API through a real ``sejajar serve --db`` on a free port, on SQLite and
PostgreSQL alike: sessions and their cookie, CSRF, who may see what, versions and 409s,
idempotency keys, concurrent saves, history and progress. The module's tests share one
server per database (``served_review``), each keeping to its own users and documents."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.reviewing import PASSWORD, Reviewer, Seeded
from tests.servers import Server

# Starts processes: a server per database, and PostgreSQL.
pytestmark = pytest.mark.slow

SignIn = Callable[[str], Reviewer]
Served = tuple[Seeded, Server]
XSS = "</script><script>alert('x')</script><img src=x onerror=alert(1)> &amp; \"q\" \u2028"


def _post_session(url: str, name: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/session", json={"username": name, "password": password},
                      headers=headers)  # fmt: skip


def test_sessions_cookies_and_sign_in_limits(served_review: Served, signed_in: SignIn) -> None:
    url = served_review[1].url
    wrong, unknown = _post_session(url, "ayu", "wrong password"), _post_session(url, "zz", "x" * 9)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "Wrong user name or password"}
    assert "set-cookie" not in wrong.headers
    answer = _post_session(url, "ayu", PASSWORD)
    assert answer.status_code == 200 and set(answer.json()) == {"csrf", "user", "role"}
    assert answer.json()["user"] == "ayu" and answer.json()["role"] == "reviewer"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    tls = _post_session(url, "ayu", PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert "Secure" in tls.headers["set-cookie"]
    assert httpx.get(f"{url}/v1/review/documents").status_code == 401

    ayu, again = signed_in("ayu"), signed_in("ayu")
    assert ayu.get("/v1/session").json()["csrf"] == ayu.csrf
    token = ayu.client.cookies["sejajar_session"]
    assert ayu.client.delete("/v1/session").status_code == 403  # no CSRF token
    out = ayu.client.delete("/v1/session", headers={"X-CSRF-Token": ayu.csrf})
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    # The old cookie, replayed, is refused for reading and writing.
    replay = httpx.Client(base_url=url, cookies={"sejajar_session": token})
    assert replay.get("/v1/review/documents").status_code == 401
    put = replay.put("/v1/review/documents/1/pairs/1", json={"decision": "accepted", "version": 0},
                     headers={"X-CSRF-Token": ayu.csrf, "Idempotency-Key": "r1"})  # fmt: skip
    assert put.status_code == 401
    replay.close()
    assert again.get("/v1/review/documents").status_code == 200  # another session lives on

    # Five failures for a name: then 429, even with the right password; other names still in.
    for _ in range(5):
        assert _post_session(url, "fay", "not it at all").status_code == 401
    limited = _post_session(url, "fay", PASSWORD)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert _post_session(url, "chief", PASSWORD).status_code == 200


def test_bad_bodies_are_json_errors(served_review: Served, signed_in: SignIn) -> None:
    url = served_review[1].url
    for body, status in (
        (b"{not json", 400),
        (b'{"username": "ayu", "password": "x", "admin": true}', 400),
        (b'{"username": 5, "password": "x"}', 400),
        (b"x" * 1_100_000, 413),
    ):
        answer = httpx.post(f"{url}/v1/session", content=body,
                            headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == {"error"} and "Traceback" not in answer.text
    ayu = signed_in("ayu")
    assert (
        ayu.client.put(
            "/v1/review/documents/1/pairs/1",
            json={"decision": "accepted", "version": 0},
            headers={"X-CSRF-Token": ayu.csrf},
        ).status_code
        == 400
    )


def test_a_reviewer_sees_and_writes_only_their_documents(
    served_review: Served, signed_in: SignIn
) -> None:
    seeded = served_review[0]
    budi, chief = signed_in("budi"), signed_in("chief")
    mine, theirs = seeded.documents["budi"], seeded.documents["ayu"]
    listed = budi.get("/v1/review/documents").json()
    assert [d["id"] for d in listed] == [mine]
    assert set(listed[0]) == {"id", "name", "project", "pairs", "reviewed"}
    assert listed[0]["project"] == "news" and listed[0]["reviewed"] == 0
    # An admin sees every document (the upload's test may have added one).
    assert set(seeded.documents.values()) <= {
        d["id"] for d in chief.get("/v1/review/documents").json()
    }

    nothing = budi.get("/v1/review/documents/999999")
    assert nothing.status_code == 404
    for path in (f"/v1/review/documents/{theirs}", f"/v1/review/documents/{theirs}/pairs/1/history",
                 f"/v1/review/documents/{mine}/pairs/99999/history"):  # fmt: skip
        answer = budi.get(path)
        assert (answer.status_code, answer.json()) == (404, nothing.json()), path
    # No test writes the last pair of ayu's document.
    pair = chief.get(f"/v1/review/documents/{theirs}").json()["pairs"][-1]["id"]
    for document in (theirs, 999999):
        answer = budi.put(document, pair, decision="accepted", version=0)
        assert (answer.status_code, answer.json()) == (404, nothing.json())
    assert chief.get(f"/v1/review/documents/{theirs}").json()["pairs"][-1]["version"] == 0

    document = budi.get(f"/v1/review/documents/{mine}").json()
    assert {"id", "name", "project", "signature", "links", "pairs"} <= set(document)
    first = document["pairs"][0]
    assert {
        "id",
        "source",
        "target",
        "original_target",
        "decision",
        "version",
        "flags",
        "source_ids",
        "target_ids",
        "paragraph",
        "kind",
        "score",
        "by",
        "at",
    } <= set(first)
    assert (first["decision"], first["version"], first["by"]) == ("pending", 0, None)

    everyone = chief.get("/v1/review/projects/news/progress").json()
    assert [r["reviewer"] for r in everyone["reviewers"]] == ["ayu", "budi"]
    own = budi.get("/v1/review/projects/news/progress").json()
    assert own["project"] == "news" and [r["reviewer"] for r in own["reviewers"]] == ["budi"]
    assert budi.get("/v1/review/projects/desk/progress").status_code == 404
    assert budi.get("/v1/review/projects/other/progress").status_code == 404
    # The log line names the route's template and the user, never the session's token.
    logged = [json.loads(line) for line in served_review[1].lines if line.startswith("{")]
    assert {"path": "/v1/review/documents/{document}", "user": "budi", "status": 200} in [
        {k: line.get(k) for k in ("path", "user", "status")} for line in logged
    ]
    assert not any(
        budi.client.cookies["sejajar_session"] in line for line in served_review[1].lines
    )


def test_versions_conflicts_idempotency_and_history(
    served_review: Served, signed_in: SignIn
) -> None:
    ayu, chief = signed_in("ayu"), signed_in("chief")
    doc = served_review[0].documents["ayu"]
    pairs = ayu.get(f"/v1/review/documents/{doc}").json()["pairs"]
    pair, original = pairs[0]["id"], pairs[0]["target"]
    path = f"/v1/review/documents/{doc}/pairs/{pair}"
    body = {"decision": "accepted", "version": 0}
    for headers in ({"Idempotency-Key": "a"}, {"Idempotency-Key": "a", "X-CSRF-Token": "forged"},
                    {"Idempotency-Key": "a", "X-CSRF-Token": chief.csrf}):  # fmt: skip
        answer = ayu.client.put(path, json=body, headers=headers)
        assert answer.status_code == 403 and answer.json() == {
            "error": "Missing or wrong X-CSRF-Token header"
        }
    assert ayu.put(doc, pair, **body).json() == {"version": 1}
    stale = chief.put(doc, pair, decision="rejected", version=0)
    assert stale.status_code == 409
    assert set(stale.json()) == {"error", "current"}
    current = stale.json()["current"]
    assert {k: current[k] for k in ("decision", "target", "version", "by")} == {
        "decision": "accepted",
        "target": original,
        "version": 1,
        "by": "ayu",
    }
    assert current["at"].endswith("Z")

    edited = chief.put(doc, pair, decision="edited", target=XSS, version=1)
    assert edited.json() == {"version": 2}
    shown = ayu.get(f"/v1/review/documents/{doc}")
    assert shown.headers["content-type"] == "application/json"
    got = shown.json()["pairs"][0]
    assert (got["target"], got["original_target"], got["decision"], got["by"]) == (
        XSS, original, "edited", "chief")  # fmt: skip

    # The same key twice: stored once, the same answer; reused for another save: refused.
    first = ayu.put(doc, pair, key="once", decision="rejected", version=2)
    second = ayu.put(doc, pair, key="once", decision="rejected", version=2)
    assert first.json() == second.json() == {"version": 3}
    reused = ayu.put(doc, pair, key="once", decision="pending", version=3)
    assert reused.status_code == 422
    history = ayu.get(f"{path}/history").json()
    assert [(h["user"], h["before"]["version"], h["after"]["decision"]) for h in history] == [
        ("ayu", 0, "accepted"), ("chief", 1, "edited"), ("ayu", 2, "rejected")]  # fmt: skip
    assert history[0]["before"] == {"decision": "pending", "target": original, "version": 0}
    assert history[1]["after"] == {"decision": "edited", "target": XSS, "version": 2}
    assert chief.get(f"{path}/history").json() == history

    for bad in ({"decision": "maybe", "version": 3}, {"decision": "accepted", "version": 3,
                "target": "x"}, {"decision": "edited", "version": 3},
                {"decision": "edited", "version": 3, "target": "a\x07b"},
                {"decision": "edited", "version": 3, "target": "  "},
                {"decision": "accepted", "version": -1}, {"decision": "accepted", "version": "3"},
                {"decision": "accepted", "version": 3, "extra": 1}):  # fmt: skip
        answer = ayu.put(doc, pair, **bad)
        assert answer.status_code == 400 and answer.json()["error"].startswith("Invalid request")
    assert ayu.put(doc, pairs[1]["id"], decision="accepted", version=0).status_code == 200
    row = ayu.get("/v1/review/projects/news/progress").json()["reviewers"][0]
    flagged = sum(1 for p in pairs[2:] if p["flags"])
    assert row == {"reviewer": "ayu", "pairs": len(pairs), "reviewed": 2, "accepted": 1,
                   "edited": 0, "rejected": 1, "flagged_left": flagged}  # fmt: skip
    assert ayu.get("/v1/review/documents").json()[0]["reviewed"] == 2


def test_an_admin_uploads_what_v1_translate_answers(
    served_review: Served, signed_in: SignIn
) -> None:
    chief, gita = signed_in("chief"), signed_in("gita")
    text = "Harga naik. Presiden tiba di Jakarta.\n\nIa pergi."
    made = chief.client.post("/v1/translate", json={"text": text, "name": "up"}).json()
    body = {"name": "up", "records": made["records"], "meta": made["meta"], "assign": "gita"}
    path = "/v1/review/projects/uploads/documents"
    headers = {"X-CSRF-Token": chief.csrf}
    assert chief.client.post(path, json=body).status_code == 403  # no CSRF token
    assert gita.client.post(path, json=body, headers={"X-CSRF-Token": gita.csrf}).json() == {
        "error": "Only an admin may add documents"
    }
    added = chief.client.post(path, json=body, headers=headers)
    assert added.status_code == 201, added.text
    pairs = sum(1 for r in made["records"] if r["source_ids"] and r["target_ids"])
    assert added.json() == {"id": added.json()["id"], "name": "up", "project": "uploads",
                            "pairs": pairs}  # fmt: skip
    listed = gita.get("/v1/review/documents").json()
    assert [(d["name"], d["project"], d["pairs"]) for d in listed] == [("up", "uploads", pairs)]
    document = gita.get(f"/v1/review/documents/{added.json()['id']}").json()
    assert document["signature"] == made["meta"]["signature"]
    assert [p["source"] for p in document["pairs"]] == [
        r["source"] for r in made["records"] if r["source_ids"] and r["target_ids"]
    ]
    again = chief.client.post(path, json=body, headers=headers)
    assert (again.status_code, again.json()) == (
        409, {"error": "project uploads already has a document up"})  # fmt: skip
    for changed, message in (
        ({"records": [{"id": 0}]}, "records[0]: missing field 'source_ids'"),
        ({"meta": {}}, "not a sejajar meta.json"),
        ({"assign": "nobody", "name": "other"}, "no user nobody"),
        ({"name": ""}, "name"),
    ):
        answer = chief.client.post(path, json={**body, **changed}, headers=headers)
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text


def _together(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls at once, in threads; their answers in order."""
    answers: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def call(number: int) -> None:
        start.wait()
        answers[number] = calls[number]()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_saves_from_two_clients(served_review: Served, signed_in: SignIn) -> None:
    dewi, chief = signed_in("dewi"), signed_in("chief")
    doc = served_review[0].documents["dewi"]
    ids = [p["id"] for p in dewi.get(f"/v1/review/documents/{doc}").json()["pairs"]]
    # Both save each pair at version 0 at once: one wins, the other is told who did.
    for pair in ids[:6]:
        d, c = _together(
            lambda p=pair: dewi.put(doc, p, decision="accepted", version=0),
            lambda p=pair: chief.put(doc, p, decision="rejected", version=0),
        )
        assert sorted((d.status_code, c.status_code)) == [200, 409], (d.text, c.text)
        winner, loser = ("dewi", c) if d.status_code == 200 else ("chief", d)
        assert loser.json()["current"]["by"] == winner
        assert loser.json()["current"]["version"] == 1
    # Different pairs at once, by both: every save stored.
    rest = ids[6:]
    answers = _together(*[_saver(dewi if n % 2 else chief, doc, p) for n, p in enumerate(rest)])
    assert [a.status_code for a in answers] == [200] * len(rest)
    # One key sent twice at once: one save, one answer.
    same = _together(*[_saver(dewi, doc, ids[0], key="twice", decision="pending", version=1)] * 2)
    assert [a.json() for a in same] == [{"version": 2}] * 2
    history = dewi.get(f"/v1/review/documents/{doc}/pairs/{ids[0]}/history").json()
    assert len(history) == 2
    pairs = dewi.get(f"/v1/review/documents/{doc}").json()["pairs"]
    assert sum(p["version"] for p in pairs) == len(ids) + 1


def _saver(who: Reviewer, document: int, pair: int, **body: Any) -> Callable[[], httpx.Response]:
    body = {"decision": "accepted", "version": 0, **body}
    return lambda: who.put(document, pair, **body)
