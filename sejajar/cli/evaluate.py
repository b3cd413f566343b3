"""``sejajar evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import (
    app,
    fail,
    model_options,
    one_stdin,
    progress_bar,
    reported,
    sized,
    warn,
)
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def evaluate(
    ref: Annotated[Path, typer.Option("--ref", help="Reference translation, one segment a line.")],
    hyp: Annotated[
        list[Path] | None,
        typer.Option(
            "--hyp",
            help="A system's output (repeat to compare; the first is the baseline); - reads"
            " standard input.",
        ),
    ] = None,
    src: Annotated[
        Path | None,
        typer.Option("--src", help="Source lines to translate with --model, then score."),
    ] = None,
    resplit: Annotated[
        bool, typer.Option("--resplit", help="With --src: split each line into sentences first.")
    ] = False,
    ter: Annotated[bool, typer.Option("--ter", help="Add TER.")] = False,
    by_doc: Annotated[
        Path | None, typer.Option("--by-doc", help="JSONL of documents: per-document scores.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Paired bootstrap resamples (0: no test).")
    ] = 1000,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Score translations with sacreBLEU (BLEU, chrF, optionally TER), compare systems."""
    from sejajar.jobs.evaluate import evaluate_files
    from sejajar.translate.engines import open_translator
    from sejajar.translate.quality import render_json, render_table

    if not hyp and src is None:
        fail("give --hyp FILE (an existing output) or --src FILE (translate it first)", 2)
    if resplit and src is None:
        fail("--resplit goes with --src", 2)
    one_stdin(ref, *(hyp or []), src)
    label = src.name if src else ref.name
    with (
        open_translator(sized(settings, src), cache) as session,
        progress_bar(label) as progress,
        reported(),
    ):
        result = evaluate_files(
            ref, hyp or [], src=src, translator=session, system_name=f"sejajar:{settings.model}",
            resplit=resplit, ter=ter, by_doc=by_doc, bootstrap=bootstrap, progress=progress,
        )  # fmt: skip
        warn(session)
    typer.echo(render_json(result) if json_output else render_table(result), nl=False)
