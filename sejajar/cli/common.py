"""What every command shares: the app, error reporting, the progress bar, and the options
that pick and run the model (declared once, added to a command by :func:`model_options`)."""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from sejajar import __version__
from sejajar.core.errors import SejajarError
from sejajar.translate.engines import DEFAULT_MODEL, ModelSettings, TranslatorSession
from sejajar.translate.translator import Progress

app = typer.Typer(
    name="sejajar",
    help="Indonesian news articles into reviewed English parallel text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def flag(parameter: str) -> str:
    """A library parameter's name on the command line: ``batch_size`` -> ``--batch-size``."""
    return "--" + parameter.replace("_", "-")


def message(exc: SejajarError) -> str:
    """A library error as the command line says it, its parameters named as flags."""
    return exc.naming(flag)


@contextmanager
def reported() -> Iterator[None]:
    """Library errors end the command with one ``Error:`` line and exit 1."""
    try:
        yield
    except SejajarError as exc:
        fail(message(exc))


def output_formats(value: str, known: Iterable[str]) -> list[str]:
    """The ``--format`` list; an unknown format is a usage error (exit 2)."""
    from sejajar.jobs.files import JobError, parse_formats

    try:
        return parse_formats(value, known)
    except JobError as exc:
        fail(f"--format: {message(exc)}", 2)


def warn(session: TranslatorSession) -> None:
    """Print what the run's translator has to say (a calibration, a cache set aside or off),
    once."""
    for line in session.info:
        typer.echo(line[0].upper() + line[1:], err=True)
    session.info.clear()
    for notice in session.notices:
        typer.echo(f"Warning: {message(SejajarError(notice))}", err=True)
    session.notices.clear()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sejajar {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Indonesian news articles into reviewed English parallel text."""


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int], Progress]]:
    """Hands out progress callbacks drawing a bar on stderr when it is a terminal; in pipes and
    logs there is no bar and no noise."""
    bars = []

    def start(total: int) -> Progress:
        if not sys.stderr.isatty():
            return lambda done: None
        bar = typer.progressbar(length=total, label=label, file=sys.stderr)
        bar.__enter__()
        bars.append(bar)
        return bar.update

    try:
        yield start
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


OutOption = Annotated[Path, typer.Option("--out", help="Output folder.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")]


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class EngineName(str, Enum):
    transformers = "transformers"
    ctranslate2 = "ctranslate2"


class Quantize(str, Enum):
    none = "none"
    int8 = "int8"


# The model options, in the order --help lists them: (name, type, default, option).
_MODEL_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    ("model", str, DEFAULT_MODEL, typer.Option("--model", envvar="SEJAJAR_MODEL",
        help="Hugging Face hub id or local model folder.", show_default=True)),
    ("beams", int, 4, typer.Option("--beams", min=1, help="Beam size (1 = greedy).")),
    ("batch_size", int, 16, typer.Option("--batch-size", min=1, help="Sentences per batch.")),
    ("device", Device, Device.auto, typer.Option("--device", help="Where the model runs.")),
    ("engine", EngineName, EngineName.transformers,
        typer.Option("--engine", help="transformers, or ctranslate2 (faster; extra).")),
    ("quantize", Quantize, Quantize.none,
        typer.Option("--quantize", help="int8: about 3x faster on a CPU, slightly worse.")),
    ("threads", int | None, None,
        typer.Option("--threads", min=1, help="Threads per worker [default: auto].")),
    ("workers", int | None, None, typer.Option("--workers", min=1,
        help="Batches translated in parallel [default: one per core].")),
    ("calibrate", bool, True, typer.Option("--calibrate/--no-calibrate",
        envvar="SEJAJAR_CALIBRATE", help="Time this CPU's layouts and kernels once per "
        "model and keep the fastest (not with --workers or --threads).")),
    ("cache", Path | None, None, typer.Option("--cache",
        help="Translation cache file [default: user cache folder].")),
    ("no_cache", bool, False, typer.Option("--no-cache", help="Do not read or write the cache.")),
]  # fmt: skip

F = TypeVar("F", bound=Callable[..., None])


def model_options(command: F) -> F:
    """Add the model options to ``command``, which receives them as ``settings``
    (:class:`ModelSettings`) and ``cache`` (a file, True for the default one, False for none)."""
    hints = typing.get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name not in ("settings", "cache")
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=Annotated[kind, option])
        for name, kind, default, option in _MODEL_OPTIONS
    ]  # fmt: skip

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name, *_ in _MODEL_OPTIONS}
        cache, no_cache = values.pop("cache"), values.pop("no_cache")
        for name in ("device", "engine", "quantize"):
            values[name] = values[name].value
        if not no_cache and cache is not None and cache.is_dir():
            fail(f"--cache {cache} is a folder; give the path of a file", 2)
        kwargs["settings"] = ModelSettings(**values)
        kwargs["cache"] = False if no_cache else (cache or True)
        command(**kwargs)

    parameters = own + added
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper  # type: ignore[return-value]
