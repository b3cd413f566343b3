"""``sejajar align`` and ``sejajar score-align``."""

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
    one_stdin,
    output_formats,
    progress_bar,
    reported,
    sized,
    warn,
)
from sejajar.jobs.formats import PAGE
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def align(
    source: Annotated[Path, typer.Argument(help="The Indonesian article.")],
    target: Annotated[Path, typer.Argument(help="An English version of it.")],
    out: OutOption = Path("."),
    presplit: Annotated[
        bool, typer.Option("--presplit", help="Both files hold one segment per line already.")
    ] = False,
    bridge: Annotated[
        Path | None,
        typer.Option("--bridge", help="Ready translations of the source segments, one a line."),
    ] = None,
    no_bridge: Annotated[
        bool, typer.Option("--no-bridge", help="Align on length and anchors only, no model.")
    ] = False,
    monotone: Annotated[
        bool, typer.Option("--monotone", help="Keep links in order: no moved blocks.")
    ] = False,
    force: ForceOption = False,
    format: Annotated[str, typer.Option("--format", help=PAGE.help())] = "tsv,html,beads",
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Pair an Indonesian article with an English version sentence by sentence."""
    from sejajar.jobs.align import align_file
    from sejajar.translate.engines import open_translator

    if bridge is not None and no_bridge:
        fail("--bridge and --no-bridge exclude each other", 2)
    one_stdin(source, target, bridge)
    with reported():
        formats = output_formats(format, PAGE.names)
    with (
        open_translator(sized(settings, source), cache) as session,
        progress_bar(source.name) as progress,
        reported(),
    ):
        try:
            outputs = align_file(
                source, target, out, None if no_bridge else (bridge or session),
                formats=formats, force=force, presplit=presplit, monotone=monotone,
                progress=progress, glossary=session.glossary,
            )  # fmt: skip
        except OSError as exc:
            fail(f"{source}: cannot write to {out}: {exc.strerror or exc}")
        warn(session)
    typer.echo(f"{source} + {target} -> {', '.join(map(str, outputs))}")


@app.command("score-align")
def score_align(
    gold: Annotated[
        Path,
        typer.Argument(help="Gold alignment, bead format (a segment in two beads: a warning)."),
    ],
    predicted: Annotated[
        Path, typer.Argument(help="Predicted alignment, bead format; - reads standard input.")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Strict and lax precision, recall and F1 of an alignment against a gold one, and
    link-level figures (which also score moved, out-of-order links)."""
    import json
    from dataclasses import asdict

    from sejajar.align.scoring import link_scores, score_alignments
    from sejajar.jobs.files import read_bead_file, read_gold_file

    one_stdin(gold, predicted)
    with reported():
        reference, overlaps = read_gold_file(gold)
        pairs = [(reference, read_bead_file(predicted))]
    for overlap in overlaps:  # a typo in a published gold file; its scores were taken so
        typer.echo(f"Warning: {overlap}; scored bead by bead, as Vecalign's scorer does", err=True)
    score, link = score_alignments(pairs), link_scores(pairs)
    if json_output:
        figures = asdict(score) | {f"link_{k}": v for k, v in asdict(link).items()}
        typer.echo(json.dumps(figures, indent=2))
    else:
        typer.echo(score.render() + link.render(), nl=False)
