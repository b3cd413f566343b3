"""The ``sejajar`` command: a thin layer over the library. Library errors become one
``Error: ...`` line on stderr and a non-zero exit, never a traceback.

Exit codes: 0 success, 1 an input or the job failed, 2 a usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from translate import __version__
from translate.marian import DEFAULT_MODEL
from translate.translator import Progress, Translator, TranslatorError

app = typer.Typer(
    name="sejajar",
    help="Indonesian news articles into reviewed English parallel text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


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


ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        envvar="SEJAJAR_MODEL",
        help="Hugging Face hub id or local model folder.",
        show_default=True,
    ),
]
BeamsOption = Annotated[int, typer.Option("--beams", min=1, help="Beam size (1 = greedy).")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Sentences per batch.")]
DeviceOption = Annotated[Device, typer.Option("--device", help="Where the model runs.")]


def translator_loader(
    model: str, beams: int, batch_size: int, device: Device
) -> Callable[[], Translator]:
    """A loader that builds the translator once, on first use; errors end the run cleanly."""

    @cache
    def load() -> Translator:
        from translate.marian import load_marian

        try:
            return load_marian(model, beams=beams, batch_size=batch_size, device=device.value)
        except TranslatorError as exc:
            fail(str(exc))

    return load


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int], Progress]]:
    """Hands out per-document progress callbacks drawing a bar on stderr when it is a
    terminal; in pipes and logs there is no bar and no noise."""
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


def parse_formats(value: str) -> list[str]:
    from align.export import FORMATS

    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        fail(
            f"--format: unknown format {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(FORMATS)}",
            2,
        )
    return list(dict.fromkeys(formats))


@app.command()
def translate(
    inputs: Annotated[list[Path], typer.Argument(help="Article .txt files or folders of them.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("."),
    model: ModelOption = DEFAULT_MODEL,
    beams: BeamsOption = 4,
    batch_size: BatchOption = 16,
    device: DeviceOption = Device.auto,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
    keep_boilerplate: Annotated[
        bool, typer.Option("--keep-boilerplate", help="Translate boilerplate and bylines too.")
    ] = False,
    format: Annotated[
        str, typer.Option("--format", help="Comma list of output formats.")
    ] = "tsv,html",
) -> None:
    """Translate articles sentence by sentence into NAME.tsv and NAME.html under --out."""
    from translate.jobs import JobError, check_outputs, expand_inputs, translate_file

    formats = parse_formats(format)
    sources = expand_inputs(inputs)
    if not sources:
        fail("no .txt files found in the given folders")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    try:
        check_outputs(sources, out, formats, force)
    except JobError as exc:
        fail(str(exc))
    load = translator_loader(model, beams, batch_size, device)
    failed = 0
    for source in sources:
        with progress_bar(source.name) as progress:
            outcome = translate_file(
                source,
                out,
                load,
                formats=formats,
                keep_boilerplate=keep_boilerplate,
                progress=progress,
            )
        if outcome.error:
            failed += 1
            typer.echo(f"Error: {outcome.error}", err=True)
            continue
        typer.echo(f"{source} -> {', '.join(map(str, outcome.outputs))}")
    if failed:
        fail(f"{failed} of {len(sources)} inputs failed")


@app.command()
def split(
    file: Annotated[Path, typer.Argument(help="An article .txt file.")],
    kinds: Annotated[
        bool, typer.Option("--kinds", help="Prefix each segment with its kind.")
    ] = False,
) -> None:
    """Print the article's segments one per line, as the translator will see them."""
    from translate.files import InputError
    from translate.jobs import load_document

    try:
        doc = load_document(file)
    except InputError as exc:
        fail(str(exc))
    for segment in doc.segments:
        typer.echo(f"{segment.kind.value}\t{segment.text}" if kinds else segment.text)


def main() -> None:
    app()
