"""``sejajar serve``: the translation service over HTTP (the ``serve`` extra)."""

from __future__ import annotations

import signal
import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sejajar.cli.common import app, fail, model_options, reported, warn
from sejajar.translate.engines import ModelSettings

if TYPE_CHECKING:
    from sejajar.serve.keys import Keys
    from sejajar.serve.rayserve import RaySettings
    from sejajar.serve.settings import ServeSettings


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
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Serve on Ray Serve replicas: auto (RAY_ADDRESS or this machine's Ray), "
            "local (a new Ray here), or a cluster's address.",
        ),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, help="Replicas on Ray (default 1).")
    ] = None,
    min_replicas: Annotated[
        int | None, typer.Option("--min-replicas", min=1, help="Autoscale on Ray from this many.")
    ] = None,
    max_replicas: Annotated[
        int | None, typer.Option("--max-replicas", min=1, help="Autoscale on Ray up to this many.")
    ] = None,
    replica_cpus: Annotated[
        float, typer.Option("--replica-cpus", min=0.01, help="CPUs of each replica on Ray.")
    ] = 1.0,
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
    from sejajar.serve.app import build_app, log_to_stderr
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
    if ray is not None:
        from sejajar.serve.rayserve import RaySettings

        cluster = RaySettings(ray, replicas, min_replicas, max_replicas, replica_cpus)
        with reported():
            cluster.check()
        _serve_on_ray(settings, cache, options, keys, cluster)
        return
    if (replicas, min_replicas, max_replicas) != (None, None, None):
        fail("--replicas, --min-replicas and --max-replicas are for --ray", 2)
    listening = _listen(host, port)
    session = TranslatorSession(settings, cache)
    service = Service(session, options)
    try:
        with reported():
            told = service.load()
        for line in told:
            session.info.append(line)
        warn(session)
        log_to_stderr()
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


def _serve_on_ray(
    settings: ModelSettings,
    cache: Path | bool,
    options: ServeSettings,
    keys: Keys,
    cluster: RaySettings,
) -> None:
    """The service on Ray Serve until SIGINT or SIGTERM (then its replicas drain) or until
    the app is shut down from elsewhere (``serve shutdown``)."""
    import time

    from sejajar.serve.rayserve import RayService

    if options.port == 0:  # Ray Serve's proxy takes a number: a free one, found here
        with _listen(options.host, 0) as free:
            options = replace(options, port=free.getsockname()[1])
    else:  # a port in use is said at once, not after the replicas have loaded
        _listen(options.host, options.port).close()
    stopped: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopped.append(signum)

    with reported(), RayService(settings, cache, options, keys, cluster) as service:
        for sig in (signal.SIGINT, signal.SIGTERM):  # after ray.init, which sets its own
            signal.signal(sig, on_signal)
        typer.echo(f"Ray Serve: {service.replicas()} replicas of {cluster.cpus:g} CPU "
                   "each", err=True)  # fmt: skip
        typer.echo(f"Serving {settings.model} on {service.url}", err=True)
        while not stopped and service.running():
            time.sleep(0.5)
        typer.echo("Stopping: the replicas finish their requests", err=True)
    typer.echo("Stopped", err=True)
