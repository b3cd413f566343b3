"""``sejajar translate`` and ``sejajar split``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import (
    ForceOption,
    ForeignOption,
    app,
    fail,
    message,
    model_options,
    output_formats,
    progress_bar,
    reported,
    sized,
    warn,
)
from sejajar.core.errors import SejajarError
from sejajar.jobs.formats import PAGE
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def translate(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Article .txt files or folders of them; - reads standard input."),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (by default the current one).")
    ] = None,
    force: ForceOption = False,
    keep_boilerplate: Annotated[
        bool, typer.Option("--keep-boilerplate", help="Translate boilerplate and bylines too.")
    ] = False,
    foreign: ForeignOption = "keep",
    format: Annotated[
        str | None,
        typer.Option("--format", help=PAGE.help("by default tsv,html; from -: tsv, or jsonl")),
    ] = None,
    skip_existing: Annotated[
        bool,
        typer.Option("--skip-existing", help="Skip inputs whose outputs all exist (resume)."),
    ] = False,
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Translate articles sentence by sentence into NAME.tsv and NAME.html under --out.

    From standard input (-), the pairs go to standard output, as TSV (or JSONL)."""
    from sejajar.core.files import STDIN, shown
    from sejajar.jobs.files import cache_clash, check_outputs, expand_inputs
    from sejajar.jobs.translate import Summary, load_inputs, translate_window
    from sejajar.jobs.windows import windows
    from sejajar.translate.engines import open_translator

    if STDIN in inputs:
        if len(inputs) > 1:
            fail("- (standard input) goes alone, without other inputs", 2)
        if out is not None or force or skip_existing:
            fail(
                "from -, the output goes to standard output: no --out, --force, --skip-existing", 2
            )
        _translate_stdin(settings, cache, keep_boilerplate, foreign, format or "tsv")
        return
    out = out or Path(".")
    if force and skip_existing:
        fail("--force and --skip-existing exclude each other", 2)
    with reported():
        formats = output_formats(format or "tsv,html", PAGE.names)
        sources, refused = expand_inputs(inputs)
        if not sources and not refused:
            fail("no .txt files found in the given folders")
        if out.exists() and not out.is_dir():
            fail(f"--out {out} is a file, not a folder")
        todo = check_outputs(sources, out, formats, force, skip_existing)
        clash = cache_clash(cache, sources, out, formats) if isinstance(cache, Path) else None
        if clash:
            fail(message(SejajarError(clash)), 2)
    settings = sized(settings, *todo)
    summary = Summary(inputs=len(sources) + len(refused), skipped_inputs=len(sources) - len(todo))
    for line in refused:  # never opened: a FIFO would block the run, a device never end
        summary.documents += 1
        summary.failed_documents += 1
        typer.echo(f"Error: {line}", err=True)
    with open_translator(settings, cache) as session, reported():
        # A window of small articles is translated in one call, so they share batches.
        loaded = load_inputs(todo, keep_boilerplate=keep_boilerplate, foreign=foreign)
        for window in windows(loaded):
            label = window[0].source.name + (f" (+{len(window) - 1})" if len(window) > 1 else "")
            with progress_bar(label) as progress:
                outcomes = translate_window(window, out, session, formats=formats,
                                            progress=progress)  # fmt: skip
            warn(session)
            for outcome in outcomes:
                summary.documents += 1
                if outcome.error:
                    summary.failed_documents += 1
                    typer.echo(f"Error: {outcome.error}", err=True)
                    continue
                summary.translated += outcome.translated
                typer.echo(f"{shown(outcome.source)} -> {', '.join(map(shown, outcome.outputs))}")
        summary.translated, summary.cached, summary.repeated = session.counts(summary.translated)
        summary.rerouted = session.rerouted
        summary.note = session.cache_note()
    typer.echo(summary.render(), err=True)
    if summary.failed_documents:
        fail(f"{summary.failed_documents} of {summary.inputs} inputs failed")


# The formats ``translate -`` writes to standard output: one file each, one line per pair.
STREAMED = ("tsv", "jsonl")


def _translate_stdin(
    settings: ModelSettings, cache: Path | bool, keep_boilerplate: bool, foreign: str, format: str
) -> None:
    """``translate -``: the article on standard input, its pairs in one format (TSV or JSONL)
    on standard output."""
    from sejajar.align.pipeline import to_translate, translate_document
    from sejajar.core.files import STDIN
    from sejajar.jobs.files import load_document
    from sejajar.translate.engines import open_translator

    formats = output_formats(format, STREAMED)
    if len(formats) > 1:
        fail(f"--format: from -, one format only ({' or '.join(STREAMED)})", 2)
    render = PAGE.files(formats)[0].load()  # JSONL's first file: the pairs (not the meta)
    with reported():
        doc = load_document(STDIN)
    total = sum(len(doc.segments[i].text) for i in to_translate(doc, keep_boilerplate))
    settings = replace(settings, workload=total)
    with (
        open_translator(settings, cache) as session,
        progress_bar("stdin") as progress,
        reported(),
    ):
        total = len(to_translate(doc, keep_boilerplate, foreign))
        parallel = translate_document(
            doc,
            session(),
            keep_boilerplate=keep_boilerplate,
            foreign=foreign,
            progress=progress(total),
        )
        warn(session)
    typer.echo(render(parallel), nl=False)


@app.command()
def split(
    file: Annotated[Path, typer.Argument(help="An article .txt file; - reads standard input.")],
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
