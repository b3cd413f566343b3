"""``sejajar serve``: the translation service over HTTP (the ``serve`` extra)."""

from __future__ import annotations

import signal
import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sejajar.cli.common import (
    app,
    database_options,
    fail,
    model_options,
    open_database,
    reported,
    settings_options,
    warn,
    with_options,
)
from sejajar.review.settings import DatabaseSettings
from sejajar.serve.settings import RaySettings, ServeSettings
from sejajar.translate.engines import ModelSettings

if TYPE_CHECKING:
    from sejajar.serve.rayreplica import ReplicaSetup


@app.command()
@database_options
@with_options(
    settings_options(RaySettings), ("cluster",), lambda values: {"cluster": RaySettings(**values)}
)
@with_options(
    settings_options(ServeSettings),
    ("options",),
    lambda values: {"options": ServeSettings(**values)},
)
@model_options
def serve(
    *,
    options: ServeSettings,
    cluster: RaySettings,
    database: DatabaseSettings,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Serve translations over HTTP: LibreTranslate's API (/translate, /detect, /languages)
    and sejajar's own (/v1/translate, /v1/align; schema at /openapi.json); with --db, the
    team review's API too (/v1/session, /v1/review)."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        fail("sejajar serve needs the serve extra: pip install 'sejajar[serve]'")
    from sejajar.serve.app import build_app, log_to_stderr
    from sejajar.serve.keys import Keys
    from sejajar.serve.service import Service
    from sejajar.translate.engines import TranslatorSession

    with reported():
        keys = Keys.read(options.api_keys)
    if cluster.ray is not None:
        if database.db is not None:
            fail("--db does not go with --ray: serve the team review on one machine", 2)
        from sejajar.serve.rayreplica import ReplicaSetup

        _serve_on_ray(ReplicaSetup(settings, cache, options, keys), cluster)
        return
    host = options.host
    review = open_database(database) if database.db is not None else None
    listening = _listen(host, options.port)
    session = TranslatorSession(settings, cache)
    service = Service(session, options)
    try:
        with reported():
            service.load()
        warn(session)
        log_to_stderr()
        config = uvicorn.Config(
            build_app(service, keys, review=review), log_config=None, access_log=False,
            lifespan="on", timeout_graceful_shutdown=options.grace, server_header=False,
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
        if review is not None:
            review.close()
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


def _serve_on_ray(setup: ReplicaSetup, cluster: RaySettings) -> None:
    """The service on Ray Serve until SIGINT or SIGTERM (then its replicas drain) or until
    the app is shut down from elsewhere (``serve shutdown``)."""
    import threading

    from sejajar.serve.rayserve import RayService

    options = setup.options
    if options.port == 0:  # Ray Serve's proxy takes a number: a free one, found here
        with _listen(options.host, 0) as free:
            options = replace(options, port=free.getsockname()[1])
            setup = replace(setup, options=options)
    else:  # a port in use is said at once, not after the replicas have loaded
        _listen(options.host, options.port).close()
    stopped = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopped.set()

    with reported(), RayService(setup, cluster) as service:
        for sig in (signal.SIGINT, signal.SIGTERM):  # after ray.init, which sets its own
            signal.signal(sig, on_signal)
        typer.echo(f"Ray Serve: {service.replicas()} replicas of {cluster.replica_cpus:g} CPU "
                   "each", err=True)  # fmt: skip
        typer.echo(f"Serving {setup.settings.model} on {service.url}", err=True)
        # Whether the app was removed from elsewhere, asked every few seconds: each ask is a
        # call to Serve's controller, twice a second cost 3 CPU seconds a minute. A signal
        # ends the wait at once.
        while not stopped.wait(5) and service.running():
            pass
        typer.echo("Stopping: the replicas finish their requests", err=True)
    typer.echo("Stopped", err=True)
