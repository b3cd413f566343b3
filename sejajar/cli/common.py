"""What every command shares: the app, error reporting, the progress bar, and the options
that pick and run the model (declared once, added to a command by :func:`model_options`)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from sejajar import __version__
from sejajar.core.errors import SejajarError, name_parameters
from sejajar.core.settings import FOREIGN, About, declared
from sejajar.review.settings import DatabaseSettings
from sejajar.translate.cache import refuse_unusable
from sejajar.translate.engines import ModelSettings, TranslatorSession
from sejajar.translate.plans import read_plans
from sejajar.translate.termbase import load_glossary
from sejajar.translate.translator import Progress

if TYPE_CHECKING:
    from sejajar.review.database import Database

C = TypeVar("C", bound=Callable[..., Any])


def _untyped_flags(params: Iterable[Any]) -> None:
    """Typer's help panels print a value type after every option, ``--force <bool>`` too,
    though a flag takes no value: an empty metavar prints none (click's plain help, the one
    docs/commands.md holds, shows a flag's metavar in no case)."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""


class _Command(typer.core.TyperCommand):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _untyped_flags(self.get_params(ctx))
        super().format_help(ctx, formatter)


class _Group(typer.core.TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _untyped_flags(self.get_params(ctx))
        super().format_help(ctx, formatter)


class _App(typer.Typer):
    """The program: its commands' help shows no value type after a flag."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[C], C]:
        return super().command(*args, cls=kwargs.pop("cls", _Command), **kwargs)


app = _App(
    name="sejajar",
    help="Indonesian news articles into reviewed English parallel text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Group,
)


def command_group(name: str, help: str) -> typer.Typer:
    """A group of commands (``sejajar review init``...), added to the program, whose help
    shows flags as the program's commands do."""
    group = _App(name=name, help=help, no_args_is_help=True, cls=_Group)
    app.add_typer(group)
    return group


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


def one_stdin(*paths: Path | None) -> None:
    """Standard input is read once: ``-`` for two of ``paths`` is a usage error (exit 2)."""
    from sejajar.core.files import STDIN

    if sum(path == STDIN for path in paths) > 1:
        fail("- (standard input) can stand for one file only", 2)


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


def _foreign_mode(value: str) -> str:
    try:
        FOREIGN.check("foreign", value)
    except SejajarError as exc:
        raise typer.BadParameter(message(exc).removeprefix("--foreign ")) from None
    return value


ForeignOption = Annotated[
    str,
    typer.Option("--foreign", help=FOREIGN.help, callback=_foreign_mode, metavar="MODE"),
]


# (name, type, default, typer option) of one command-line option.
Option = tuple[str, Any, Any, Any]


def _option(name: str, kind: Any, default: Any, about: About) -> Option:
    """The option of a declared setting (see :mod:`sejajar.core.settings`)."""
    text = name_parameters(about.help, flag)
    declared = f"{flag(name)}/--no-{flag(name)[2:]}" if kind is bool else flag(name)
    metavar = None
    if typing.get_origin(kind) is tuple:  # a repeatable option: typer takes a list
        kind, default, metavar = list[typing.get_args(kind)[0]], None, "PATH"  # type: ignore[misc]
    if about.choices:  # typer lists an Enum's values as the choices
        make: Any = Enum  # called with names known only here, which mypy cannot check
        kind = make(name.title(), {c: c for c in about.choices}, type=str)
        default = kind(default)
    # A setting unset by default says what that means (typer shows no default for None).
    shown: Any = about.unset if about.unset is not None else True
    option = typer.Option(declared, envvar=about.envvar, min=about.least, max=about.most,
                          help=text, show_default=shown, metavar=metavar)  # fmt: skip
    return name, kind, default, option


def settings_options(cls: type) -> list[Option]:
    """The options of every declared setting of dataclass ``cls``, in their order."""
    kinds = typing.get_type_hints(cls)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return [_option(n, kinds[n], defaults[n], a) for n, a in declared(cls).items()]


def model_settings_options() -> list[Option]:
    """The options of every model setting, ``--engine`` left unset by default: given, even
    as the default engine, it is binding (no CTranslate2 from an int8 plan, see
    :mod:`sejajar.translate.rival`); :func:`model_settings` tells the two apart."""
    options = settings_options(ModelSettings)
    for i, (name, kind, default, option) in enumerate(options):
        if name == "engine":
            option.show_default = default.value
            options[i] = (name, kind | None, None, option)
    return options


def model_settings(values: dict[str, Any]) -> ModelSettings:
    """The settings of these options' values (see :func:`model_settings_options`)."""
    engine = values.pop("engine")
    if engine is None:
        return ModelSettings(**values)
    return ModelSettings(**values, engine=engine, rivals=False)


def _model_options() -> list[Option]:
    """The options of every model setting, then the cache's."""
    return [
        *model_settings_options(),
        ("cache", Path | None, None, typer.Option("--cache",
            help="Translation cache file.", show_default="user cache folder")),
        ("no_cache", bool, False,
            typer.Option("--no-cache", help="Do not read or write the cache.")),
    ]  # fmt: skip


# The model options, in the order --help lists them: (name, type, default, option).
_MODEL_OPTIONS = _model_options()

F = TypeVar("F", bound=Callable[..., None])


def with_options(
    options: list[Option], gives: tuple[str, ...], build: Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[[F], F]:
    """A decorator adding ``options`` to a command, which receives instead the parameters
    ``gives`` that ``build`` makes from their values (a bad value is a usage error, exit 2)."""

    def decorate(command: F) -> F:
        hints = typing.get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name not in gives
        ]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                              annotation=Annotated[kind, option])
            for name, kind, default, option in options
        ]  # fmt: skip

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            values = {name: kwargs.pop(name) for name, *_ in options}
            values = {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}
            try:  # usage errors, as typer's own
                kwargs.update(build(values))
            except SejajarError as exc:
                fail(message(exc), 2)
            command(**kwargs)

        parameters = own + added
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def _model_settings(values: dict[str, Any]) -> dict[str, Any]:
    cache, no_cache = values.pop("cache"), values.pop("no_cache")
    cache = False if no_cache else (cache or True)
    if isinstance(cache, Path):
        refuse_unusable(cache)
    if values["plan"] is not None:  # absolute: Ray's actors and replicas read it too
        values["plan"] = values["plan"].absolute()
        read_plans(values["plan"])  # a bad plan file fails before any work
    # Absolute too; a bad glossary file fails before any work.
    values["glossary"] = tuple(path.absolute() for path in values["glossary"] or ())
    load_glossary(values["glossary"])
    return {"cache": cache, "settings": model_settings(values)}


def sized(settings: ModelSettings, *inputs: Path | None) -> ModelSettings:
    """``settings`` with the job's size: the bytes of its input files (about their characters),
    which a job too short to repay a calibration needs (see :mod:`sejajar.translate.plans`);
    unknown (as for a service) when one is standard input."""
    from sejajar.core.files import STDIN

    total = 0
    for path in inputs:
        if path == STDIN:
            return settings
        if path is not None:
            with contextlib.suppress(OSError):  # the job reports it
                total += path.stat().st_size
    return dataclasses.replace(settings, workload=total)


def model_options(command: F) -> F:
    """Add the model options to ``command``, which receives them as ``settings``
    (:class:`ModelSettings`) and ``cache`` (a file, True for the default one, False for none)."""
    return with_options(_MODEL_OPTIONS, ("settings", "cache"), _model_settings)(command)


def database_options(command: F) -> F:
    """Add ``--db`` (declared once, in :class:`DatabaseSettings`); the command receives
    ``database``."""
    return with_options(
        settings_options(DatabaseSettings),
        ("database",),
        lambda values: {"database": DatabaseSettings(**values)},
    )(command)


def open_database(settings: DatabaseSettings) -> Database:
    """The database at the head schema; one ``Error:`` line when it cannot be opened."""
    try:
        from sejajar.review.database import Database
    except ImportError:
        fail("team review needs the review extra: pip install 'sejajar[review]'")
    with reported():
        return Database(settings.url)
