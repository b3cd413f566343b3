"""In Ray Serve's proxy (for ``sejajar serve --ray``): a request whose replica was lost is sent
once more, or answered with the service's 503. The proxy imports this module by name
(``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH``), so it imports nothing of sejajar's own."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

# The most bytes of a body the proxy keeps to send again; a larger one is not retried.
RETRY_BODY = 4_000_000


def proxy_middlewares() -> list[Any]:
    """Ray Serve's proxy callback (``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH``)."""
    from starlette.middleware import Middleware

    return [Middleware(RetryLost)]


class RetryLost:
    """In the proxy: a request whose replica died before answering (the proxy would say a
    bare ``500 Internal Server Error``) goes once more to a live replica, and if that one
    cannot answer either, gets the service's 503 with ``Retry-After``. Translation has no
    side effects, so sending it twice is safe (a quota may count it twice)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more and size <= RETRY_BODY:
            message = await receive()
            if message["type"] != "http.request":  # gone before the body arrived
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        body = b"".join(chunks)
        gone = False

        async def replay() -> Any:
            nonlocal gone, more
            if not sent:
                sent.append(True)
                return {"type": "http.request", "body": body, "more_body": more}
            message = await receive()
            gone |= message["type"] == "http.disconnect"
            return message

        started = False

        async def watched(message: Any) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        for attempt in range(2 if not more else 1):
            sent: list[bool] = []
            with contextlib.suppress(Exception):
                await self.app(scope, replay, watched)
            if started or gone:
                return
            await asyncio.sleep(0.2 * (attempt + 1))  # Ray marks the dead replica meanwhile
        await _unavailable(send)


async def _unavailable(send: Any) -> None:
    import json

    body = json.dumps({"error": "Service unavailable: the replica holding the request "
                      "was lost; retry"}).encode()  # fmt: skip
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"1"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
