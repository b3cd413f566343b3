"""``sejajar serve``: the translation service over HTTP (the ``serve`` extra)."""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from typing import Any

import typer

from sejajar.cli.common import (
    app,
    fail,
    model_options,
    reported,
    settings_options,
    warn,
    with_options,
)
from sejajar.serve.settings import ServeSettings
from sejajar.translate.engines import ModelSettings


def _serve_settings(values: dict[str, Any]) -> dict[str, Any]:
    from sejajar.serve.settings import ServeSettings

    return {"options": ServeSettings(**values)}


@app.command()
@with_options(settings_options(ServeSettings), ("options",), _serve_settings)
@model_options
def serve(*, options: ServeSettings, settings: ModelSettings, cache: Path | bool) -> None:
    """Serve translations over HTTP: LibreTranslate's API (/translate, /detect, /languages)
    and sejajar's own (/v1/translate, /v1/align; schema at /openapi.json)."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        fail("sejajar serve needs the serve extra: pip install 'sejajar[serve]'")
    from sejajar.serve.app import build_app
    from sejajar.serve.keys import Keys
    from sejajar.serve.service import Service
    from sejajar.translate.engines import TranslatorSession

    with reported():
        keys = Keys.read(options.api_keys)
    host = options.host
    listening = _listen(host, options.port)
    session = TranslatorSession(settings, cache)
    service = Service(session, options)
    try:
        with reported():
            service.load()
        warn(session)
        _logging()
        config = uvicorn.Config(
            build_app(service, keys), log_config=None, access_log=False, lifespan="on",
            timeout_graceful_shutdown=options.grace, server_header=False,
        )  # fmt: skip
        shown = f"[{host}]" if ":" in host else host
        bound = listening.getsockname()[1]
        typer.echo(f"Serving {settings.model} on http://{shown}:{bound}", err=True)
        stopped: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):  # uvicorn drains, then hands them on
            signal.signal(sig, lambda signum, frame: stopped.append(signum))
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        listening.close()
        service.close()
    typer.echo("Stopped", err=True)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the model loads: a port in use is said at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except OSError as exc:
        fail(f"--host {host}: {exc.strerror or exc}", 2)
    sock = socket.socket(infos[0][0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(infos[0][4])
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(False)
    return sock


def _logging() -> None:
    """One line per request on stderr (JSON, from sejajar.serve), uvicorn's own notices as
    plain lines."""
    import logging
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("sejajar.serve", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
