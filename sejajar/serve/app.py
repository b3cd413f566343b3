"""The app: built by :func:`build_app` from a loaded :class:`Service` (no module globals, so
tests build as many as they like), with the limits every request meets before a route sees
it, the one error shape (``{"error": "..."}``), one log line per request, and the operations
routes (``/health``, ``/metrics``).

Layers, outermost first: :class:`Observe` (timing, the log line, metrics, and a last guard
that turns any bug into a 500 without a traceback), the host check, :class:`BodyLimit` (413),
CORS (LibreTranslate's clients include web pages), then FastAPI's routes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sejajar import __version__
from sejajar.serve.checks import ApiError, error
from sejajar.serve.keys import Keys, Quota
from sejajar.serve.service import Service
from sejajar.serve.settings import is_loopback

if TYPE_CHECKING:
    from sejajar.review.database import Database

log = logging.getLogger("sejajar.serve")


class Shared(Protocol):
    """What the replicas of one service share (Ray Serve; on one machine there is none): the
    callers' quota, the replicas' count for ``/health``, and every replica's metrics."""

    @property
    def quota(self) -> Quota: ...

    async def health(self) -> dict[str, Any]: ...

    async def metrics(self, own: bytes) -> bytes: ...


def build_app(
    service: Service,
    keys: Keys | None = None,
    shared: Shared | None = None,
    review: Database | None = None,
) -> FastAPI:
    """The service's ASGI app, for uvicorn (or Ray Serve, with what its replicas share) to
    run; with ``review``, the team review's API too (:mod:`sejajar.serve.review`)."""
    from sejajar.serve import libre, native

    settings = service.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="sejajar",
        version=__version__,
        summary="Indonesian to English translation: LibreTranslate's API and sejajar's own.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.keys = keys or Keys.read(settings.api_keys)
    app.state.quota = shared.quota if shared else Quota(settings.chars_per_minute)
    app.include_router(libre.router)
    app.include_router(native.router)
    routers = [libre.router, native.router]
    if review is not None:
        from sejajar.serve.review import add_review

        routers += add_review(app, review)

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, Any]:
        """Whether the model is loaded, and how much work waits (in this replica, on Ray)."""
        found = {
            "status": "ok" if service.loaded else "loading",
            "model": service.model_name,
            "queue": service.batcher.queued,
            "busy": service.batcher.busy,
            "version": __version__,
        }
        return {**found, **(await shared.health())} if shared else found

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        body, kind = service.metrics.render()
        return Response(await shared.metrics(body) if shared else body, media_type=kind)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, exc.message, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, f"Invalid request: {_first_problem(exc)}")

    # Labels of the metrics: the routes' paths, any other path counted as "other".
    routes = {getattr(r, "path", "") for r in app.routes} - {""}
    routes |= {getattr(r, "path", "") for router in routers for r in router.routes} - {""}
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=86400,
    )
    app.add_middleware(BodyLimit, limit=settings.max_body)
    # A server on loopback with no keys answers local names only: a web page whose own name
    # is rebound to 127.0.0.1 (DNS rebinding) still sends its own name as the host.
    local = not app.state.keys.required and is_loopback(settings.host)
    app.add_middleware(Observe, service=service, routes=routes, loopback_hosts=local)
    return app


def _first_problem(exc: RequestValidationError) -> str:
    for problem in exc.errors():
        where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
        text = str(problem.get("msg", "invalid"))
        if problem.get("type") == "extra_forbidden":
            text = "unknown parameter"
        return f"{where}: {text}" if where else text
    return "invalid"


class BodyLimit:
    """Refuses a body over ``limit`` bytes with 413: at once when it says its length, else
    as soon as it has sent that much."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = ApiError(413, f"Request body too large: the limit is {self.limit} bytes")
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            if length.isdigit():
                response = error(413, too_big.message)
            else:
                response = error(400, "Invalid request: bad Content-Length")
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_big
            return message

        await self.app(scope, counted, send)


_LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def _host_name(header: str) -> str:
    if header.startswith("["):
        return header[1 : header.find("]")]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Observe:
    """Times each request, writes its log line and metrics, checks the host of a server with
    no keys, and answers 500 for any error no route handled: one line in the log, no
    traceback anywhere (``SEJAJAR_DEBUG=1`` logs it)."""

    def __init__(
        self, app: ASGIApp, service: Service, routes: set[str], loopback_hosts: bool
    ) -> None:
        self.app, self.service, self.routes = app, service, routes
        self.loopback_hosts = loopback_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]  # before the app: routing may rewrite it
        status = 0
        details: dict[str, Any] = {}
        scope.setdefault("state", {})["log"] = details

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if self.loopback_hosts and _host_name(host) not in _LOCAL_NAMES:
                await error(400, "Invalid host header")(scope, receive, sending)
            else:
                await self.app(scope, receive, sending)
        except Exception as exc:
            import os

            details["failure"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            if os.environ.get("SEJAJAR_DEBUG") == "1":
                log.exception("request failed")
            if not status:
                await error(500, "Internal error: the request could not be answered")(
                    scope, receive, sending
                )
        seconds = time.perf_counter() - started
        # A path with parameters is counted under its route's template (the router leaves
        # the route it matched in the scope): /v1/review/documents/{document}.
        template = getattr(scope.get("route"), "path", None)
        route = path if path in self.routes else template if template in self.routes else "other"
        self.service.metrics.observe(route, status or 499, seconds)
        client = scope.get("client")
        line = {
            "time": round(time.time(), 3),
            "client": client[0] if client else None,
            "method": scope["method"],
            "path": route,
            "status": status or 499,
            "ms": round(seconds * 1000, 1),
            **details,
        }
        log.info(json.dumps(line, ensure_ascii=False, default=str))


def log_to_stderr() -> None:
    """One line per request on stderr (JSON, from sejajar.serve), uvicorn's own notices as
    plain lines."""
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("sejajar.serve", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
