"""``sejajar serve``: the translation service over HTTP (the ``serve`` extra)."""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import app, fail, model_options, reported, warn
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (a public one needs --api-keys).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = 5000,
    api_keys: Annotated[
        Path | None,
        typer.Option("--api-keys", help="File of API keys, one a line (or sha256:HEX of one)."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a public --host with no --api-keys.")
    ] = False,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, help="Largest request body, in bytes.")
    ] = 1_000_000,
    max_texts: Annotated[
        int, typer.Option("--max-texts", min=1, help="Most texts in one q list.")
    ] = 1000,
    queue_size: Annotated[
        int, typer.Option("--queue-size", min=1, help="Most sentences waiting (then 503).")
    ] = 4096,
    batch_wait_ms: Annotated[
        float,
        typer.Option("--batch-wait-ms", min=0, help="How long a sentence waits for company."),
    ] = 5.0,
    deadline: Annotated[
        float, typer.Option("--deadline", min=0.001, help="Seconds before a request gets 504.")
    ] = 60.0,
    chars_per_minute: Annotated[
        int,
        typer.Option("--chars-per-minute", min=0, help="Quota per key or client (0: none)."),
    ] = 0,
    grace: Annotated[
        int, typer.Option("--grace", min=0, help="Seconds SIGTERM leaves queued work.")
    ] = 30,
    log_text: Annotated[
        bool, typer.Option("--log-text", help="Put requests' texts in the log lines.")
    ] = False,
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
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
    from sejajar.serve.settings import ServeSettings
    from sejajar.translate.engines import TranslatorSession

    options = ServeSettings(
        host=host, port=port, api_keys=api_keys, insecure=insecure, max_body=max_body,
        max_texts=max_texts, queue_size=queue_size, batch_wait=batch_wait_ms / 1000,
        deadline=deadline, chars_per_minute=chars_per_minute, grace=grace, log_text=log_text,
    )  # fmt: skip
    with reported():
        options.check()
        keys = Keys.read(api_keys)
    listening = _listen(host, port)
    session = TranslatorSession(settings, cache)
    service = Service(session, options)
    try:
        with reported():
            service.load()
        warn(session)
        _logging()
        config = uvicorn.Config(
            build_app(service, keys), log_config=None, access_log=False, lifespan="on",
            timeout_graceful_shutdown=grace, server_header=False,
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
