"""``sejajar translate`` and ``sejajar split``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import (
    ForceOption,
    OutOption,
    app,
    fail,
    model_options,
    output_formats,
    progress_bar,
    reported,
    warn,
)
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def translate(
    inputs: Annotated[list[Path], typer.Argument(help="Article .txt files or folders of them.")],
    out: OutOption = Path("."),
    force: ForceOption = False,
    keep_boilerplate: Annotated[
        bool, typer.Option("--keep-boilerplate", help="Translate boilerplate and bylines too.")
    ] = False,
    format: Annotated[
        str, typer.Option("--format", help="Comma list of output formats.")
    ] = "tsv,html",
    skip_existing: Annotated[
        bool,
        typer.Option("--skip-existing", help="Skip inputs whose outputs all exist (resume)."),
    ] = False,
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Translate articles sentence by sentence into NAME.tsv and NAME.html under --out."""
    from sejajar.align.export import FORMATS
    from sejajar.core.files import shown
    from sejajar.jobs.files import check_outputs, expand_inputs
    from sejajar.jobs.translate import Summary, translate_window, windows
    from sejajar.translate.engines import open_translator

    if force and skip_existing:
        fail("--force and --skip-existing exclude each other", 2)
    with reported():
        formats = output_formats(format, FORMATS)
        sources = expand_inputs(inputs)
        if not sources:
            fail("no .txt files found in the given folders")
        if out.exists() and not out.is_dir():
            fail(f"--out {out} is a file, not a folder")
        todo = check_outputs(sources, out, formats, force, skip_existing)
    summary = Summary(len(sources), skipped=len(sources) - len(todo))
    with open_translator(settings, cache) as session, reported():
        # A window of small articles is translated in one call, so they share batches.
        for window in windows(todo, keep_boilerplate=keep_boilerplate):
            label = window[0].source.name + (f" (+{len(window) - 1})" if len(window) > 1 else "")
            with progress_bar(label) as progress:
                outcomes = translate_window(window, out, session, formats=formats,
                                            progress=progress)  # fmt: skip
            warn(session)
            for outcome in outcomes:
                if outcome.error:
                    summary.failed += 1
                    typer.echo(f"Error: {outcome.error}", err=True)
                    continue
                summary.done += 1
                summary.translated += outcome.translated
                typer.echo(f"{shown(outcome.source)} -> {', '.join(map(shown, outcome.outputs))}")
        summary.translated, summary.cached, summary.repeated = session.counts(summary.translated)
        summary.note = session.cache_note()
    typer.echo(summary.render(), err=True)
    if summary.failed:
        fail(f"{summary.failed} of {len(sources)} inputs failed")


@app.command()
def split(
    file: Annotated[Path, typer.Argument(help="An article .txt file.")],
    kinds: Annotated[
        bool, typer.Option("--kinds", help="Prefix each segment with its kind.")
    ] = False,
) -> None:
    """Print the article's segments one per line, as the translator will see them."""
    from sejajar.jobs.files import load_document

    with reported():
        doc = load_document(file)
    for segment in doc.segments:
        typer.echo(f"{segment.kind.value}\t{segment.text}" if kinds else segment.text)
