"""``sejajar serve`` as a real process, against requests from outside: each bad request one
clear error, API keys required and checked, and start-up mistakes said in one line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from tests.helpers import run
from tests.servers import Server, serving, translate_body

pytestmark = pytest.mark.slow


JSON = {"Content-Type": "application/json"}
# (what is sent, the status, a piece of the message)
# fmt: off
BAD = [
    ({"json": translate_body(source="fr")}, 400, "fr is not supported"),
    ({"json": translate_body(target="de")}, 400, "id (or auto) to en"),
    ({"json": translate_body(q="")}, 400, "missing q"),
    ({"json": translate_body(q=[])}, 400, "missing q"),
    ({"json": translate_body(q=["a"] * 10_000)}, 400, "exceeds text limit"),
    ({"json": translate_body(q="a" * 10_000_000)}, 413, "too large"),
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
    ({"json": translate_body(alternatives=1000)}, 400, "alternatives must be"),
    ({"json": translate_body(alternatives="x")}, 400, "alternatives must be"),
    ({"json": translate_body(extra=1)}, 400, "unknown parameter 'extra'"),
    ({"json": translate_body(q=5)}, 400, "string or a list"),
    ({"json": translate_body(q=["a", {"b": 1}])}, 400, "string or a list"),
    ({"json": translate_body(format="pdf")}, 400, "pdf format"),
    ({"json": translate_body(source=["id"])}, 400, "language code"),
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
                client.post("/translate", json=translate_body(), headers={"Host": "evil.example"}),
                400,
                "host",
            ),
        ]
        for reply, status, piece in checks:
            assert reply.status_code == status, reply.text[:200]
            assert piece in reply.json()["error"], reply.text
        assert client.get("/health").json()["status"] == "ok"
        assert client.post("/translate", json=translate_body()).status_code == 200
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
            fields = translate_body(**({"api_key": given} if given else {}))
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

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run("serve", "--port", str(port), "--model", str(tmp_path / "none"))
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in err
    code, _, err = run("serve", "--port", "0", "--model", str(tmp_path / "none"))
    assert code == 1 and err.strip() == f"Error: model folder {tmp_path / 'none'} does not exist"
