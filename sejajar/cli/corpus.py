"""``sejajar corpus`` (shards on Ray Data) and ``sejajar export`` (a corpus into release files)."""

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
    model_options,
    output_formats,
    reported,
)
from sejajar.jobs.formats import RELEASE
from sejajar.translate.engines import ModelSettings


@app.command()
@model_options
def corpus(
    inputs: Annotated[
        list[Path], typer.Argument(help="Parquet/JSONL(.gz) shards, .txt articles, or folders.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder of the corpus.")],
    text_column: Annotated[
        str, typer.Option("--text-column", help="Column holding the article text.")
    ] = "text",
    id_column: Annotated[str, typer.Option("--id-column", help="Column holding its id.")] = "id",
    target_column: Annotated[
        str | None,
        typer.Option("--target-column", help="Column of an English version: align against it."),
    ] = None,
    no_bridge: Annotated[
        bool, typer.Option("--no-bridge", help="Align target columns without the model.")
    ] = False,
    keep_boilerplate: Annotated[
        bool, typer.Option("--keep-boilerplate", help="Translate boilerplate and bylines too.")
    ] = False,
    foreign: ForeignOption = "keep",
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages",
            help="Pair only documents in these languages (comma-separated codes, e.g. id); "
            "the others get one row with their language and no pair.",
            show_default="all",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray", help="Ray cluster to join.", show_default="$RAY_ADDRESS, else local"),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option("--actors", min=1, help="Model actors.", show_default="CPUs / cpus"),
    ] = None,
    cpus_per_actor: Annotated[
        float, typer.Option("--cpus-per-actor", min=0.1, help="CPUs (threads) of each actor.")
    ] = 1,
    gpus_per_actor: Annotated[
        float, typer.Option("--gpus-per-actor", min=0, help="GPUs of each actor.")
    ] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Redo shards already done (default: skip them).")
    ] = False,
    *,
    settings: ModelSettings,
    cache: Path | bool,
) -> None:
    """Translate (or align) a crawl's shards on Ray Data: one Parquet of pairs per shard."""
    from sejajar.jobs.cluster import Cluster, import_ray
    from sejajar.jobs.corpus import run_corpus
    from sejajar.jobs.pairs import CorpusOptions
    from sejajar.jobs.shards import Columns, ShardResult, find_shards

    wanted = _languages(languages)
    with reported():
        import_ray()
        shards = find_shards(inputs)
        if not shards:
            fail("no shards found (.parquet, .jsonl, .jsonl.gz, or .txt articles)")
        if out.exists() and not out.is_dir():
            fail(f"--out {out} is a file, not a folder")
    # Actors run in other processes (other machines): every path they see is absolute.
    if Path(settings.model).exists():
        settings = replace(settings, model=str(Path(settings.model).resolve()))
    options = CorpusOptions(
        Columns(text_column, id_column, target_column),
        keep_boilerplate=keep_boilerplate,
        bridge=not no_bridge,
        cache=cache.resolve() if isinstance(cache, Path) else cache,
        foreign=foreign,
        languages=wanted,
    )
    cluster = Cluster(ray_address, actors, cpus_per_actor, gpus_per_actor)

    def report(result: ShardResult) -> None:
        if result.error:
            typer.echo(f"Error: shard {result.shard}: {result.error}", err=True)
        else:
            typer.echo(
                f"{result.shard} -> {out / result.output} ({result.documents} documents, "
                f"{result.failed_documents} failed, {result.pairs} pairs)"
            )

    with reported():
        summary = run_corpus(shards, out, settings, options, cluster, force=force, on_result=report)
    typer.echo(summary.render(), err=True)
    if summary.failed_shards:
        fail(f"{summary.failed_shards} of {summary.shards} shards failed")


def _languages(value: str | None) -> frozenset[str]:
    """``--languages id,en`` as a set of codes (those the identifier names: ``id``, ``en``,
    ``jv``...; Malay is ``id``)."""
    from sejajar.core.language import LANGUAGES

    if value is None:
        return frozenset()
    codes = frozenset(c.strip() for c in value.split(",") if c.strip())
    known = frozenset(LANGUAGES) - {"ms"}
    if not codes or not codes <= known:
        wrong = ", ".join(sorted(codes - known)) or "none given"
        fail(f"--languages: unknown language {wrong}; choose from {', '.join(sorted(known))}", 2)
    return codes


@app.command()
def export(
    corpus_dir: Annotated[Path, typer.Argument(help="A corpus folder (sejajar corpus --out).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("."),
    format: Annotated[str, typer.Option("--format", help=RELEASE.help())] = "moses,tsv.gz",
    name: Annotated[str, typer.Option("--name", help="Base name of the files.")] = "corpus",
    min_confidence: Annotated[
        float | None,
        typer.Option("--min-confidence", min=0, max=1, help="Leave out aligned pairs below it."),
    ] = None,
    drop_flag: Annotated[
        str, typer.Option("--drop-flag", help="Comma list of flags whose pairs are left out.")
    ] = "",
    keep_duplicates: Annotated[
        bool, typer.Option("--keep-duplicates", help="Keep repeated identical pairs.")
    ] = False,
    gzip_moses: Annotated[
        bool, typer.Option("--gzip", help="Gzip the Moses files (NAME.id.gz, NAME.en.gz).")
    ] = False,
    force: ForceOption = False,
) -> None:
    """Write a corpus as Moses line files, scored TSV.gz and TMX, filtered and deduplicated."""
    from sejajar.jobs.files import JobError
    from sejajar.jobs.release import ReleaseOptions, export_corpus, parse_flags

    formats = output_formats(format, RELEASE.names)
    try:
        options = ReleaseOptions(
            name=name,
            min_confidence=min_confidence,
            drop_flags=parse_flags(drop_flag),
            dedup=not keep_duplicates,
            gzip_moses=gzip_moses,
        )
    except JobError as exc:
        fail(f"--drop-flag: {exc}", 2)
    with reported():
        try:
            summary = export_corpus(corpus_dir, out, formats, options, force)
        except ImportError:
            fail("reading a corpus needs pyarrow: pip install 'sejajar[ray]'")
        except OSError as exc:
            fail(f"cannot write to {out}: {exc.strerror or exc}")
    typer.echo(summary.render())
