"""``sejajar apply-review``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import ForceOption, OutOption, app, fail, output_formats, reported


@app.command("apply-review")
def apply_review(
    review: Annotated[Path, typer.Argument(help="Decisions exported from the HTML page.")],
    out: OutOption = Path("."),
    format: Annotated[str, typer.Option("--format", help="Comma list: tsv, tmx.")] = "tsv,tmx",
    force: ForceOption = False,
) -> None:
    """Keep the accepted pairs of a review (edits applied) as clean TSV and TMX."""
    from sejajar.jobs.review import RENDERERS
    from sejajar.jobs.review import apply_review as run

    formats = output_formats(format, RENDERERS)
    with reported():
        try:
            outcome = run(review, out, formats, force)
        except OSError as exc:
            fail(f"{review}: cannot write to {out}: {exc.strerror or exc}")
    typer.echo(outcome.render())
