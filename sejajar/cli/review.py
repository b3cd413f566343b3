"""``sejajar apply-review``, and ``sejajar review``: the team review's database (init,
add-user, import, assign, export), each command a thin layer over :mod:`sejajar.review`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from sejajar.cli.common import (
    ForceOption,
    OutOption,
    app,
    command_group,
    database_options,
    fail,
    open_database,
    output_formats,
    reported,
)
from sejajar.jobs.formats import REVIEW
from sejajar.review.settings import DatabaseSettings

FormatsOption = Annotated[str, typer.Option("--format", help=REVIEW.help())]


@app.command("apply-review")
def apply_review(
    review: Annotated[Path, typer.Argument(help="Decisions exported from the HTML page.")],
    out: OutOption = Path("."),
    format: FormatsOption = "tsv,tmx",
    force: ForceOption = False,
) -> None:
    """Keep the accepted pairs of a review (edits applied) as clean TSV, TMX or JSONL."""
    from sejajar.jobs.review import apply_review as run

    formats = output_formats(format, REVIEW.names)
    with reported():
        try:
            outcome = run(review, out, formats, force)
        except OSError as exc:
            fail(f"{review}: cannot write to {out}: {exc.strerror or exc}")
    typer.echo(outcome.render())


review_app = command_group(
    "review", "Team review in a database: make it, add reviewers, import outputs, export decisions."
)


class Role(str, Enum):
    admin = "admin"
    reviewer = "reviewer"


@review_app.command("init")
@database_options
def init(*, database: DatabaseSettings) -> None:
    """Make the review database's schema, or upgrade it to this sejajar's."""
    try:
        from sejajar.review.database import init_database
    except ImportError:
        fail("team review needs the review extra: pip install 'sejajar[review]'")
    with reported():
        before, after = init_database(database.url, make_folder=database.db is None)
    what = f"made at schema {after}" if before is None else (
        f"already at schema {after}" if before == after else f"upgraded {before} -> {after}"
    )  # fmt: skip
    typer.echo(f"Review database {database.url}: {what}")


@review_app.command("add-user")
@database_options
def add_user(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, '.', '_', '-').")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")] = Role.reviewer,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file", help="File whose first line is the password [default: a prompt]."
        ),
    ] = None,
    *,
    database: DatabaseSettings,
) -> None:
    """Add a user; the password comes from a file or a prompt, never the command line."""
    from sejajar.review.accounts import add_user as run

    if password_file is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        try:
            password = password_file.read_text("utf-8").split("\n", 1)[0].rstrip("\r")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--password-file {password_file}: cannot read it ({exc})")
    db = open_database(database)
    try:
        with reported():
            run(db, name, role.value, password)
    finally:
        db.close()
    typer.echo(f"Added {role.value} {name}")


@review_app.command("import")
@database_options
def import_(
    files: Annotated[list[Path], typer.Argument(help="JSONL outputs of translate or align.")],
    project: Annotated[str, typer.Option("--project", help="Project to add them to.")],
    assign: Annotated[
        str | None, typer.Option("--assign", help="User to hand the documents to.")
    ] = None,
    *,
    database: DatabaseSettings,
) -> None:
    """Import sejajar's JSONL outputs (with their NAME.meta.json) as documents to review."""
    from sejajar.review.imports import import_documents, read_files

    with reported():
        documents = read_files(files)
    db = open_database(database)
    try:
        with reported():
            imported = import_documents(db, documents, project, assign)
    finally:
        db.close()
    to = f", assigned to {assign}" if assign else ""
    for document in imported:
        typer.echo(f"{project}/{document.name}: {document.pairs} pairs{to}")


@review_app.command("assign")
@database_options
def assign(
    project: Annotated[str, typer.Argument(help="Project whose documents to hand out.")],
    to: Annotated[str, typer.Option("--to", help="User to hand them to.")],
    names: Annotated[
        list[str] | None,
        typer.Option("--document", help="A document's name (repeatable; default: all of them)."),
    ] = None,
    *,
    database: DatabaseSettings,
) -> None:
    """Hand a project's documents (all, or those named) to another user; the decisions made
    on them so far stay."""
    from sejajar.review.documents import assign as run

    db = open_database(database)
    try:
        with reported():
            done = run(db, project, to, names or ())
    finally:
        db.close()
    for name in done:
        typer.echo(f"{project}/{name}: assigned to {to}")


@review_app.command("export")
@database_options
def export(
    project: Annotated[str, typer.Argument(help="Project to export.")],
    out: OutOption = Path("."),
    format: FormatsOption = "tsv,tmx",
    force: ForceOption = False,
    *,
    database: DatabaseSettings,
) -> None:
    """Write each document's accepted pairs (edits applied) as apply-review does:
    OUT/NAME.accepted.FORMAT."""
    from sejajar.review.export import export_project

    formats = output_formats(format, REVIEW.names)
    db = open_database(database)
    try:
        with reported():
            try:
                outcomes = export_project(db, project, out, formats, force)
            except OSError as exc:
                fail(f"{project}: cannot write to {out}: {exc.strerror or exc}")
    finally:
        db.close()
    for name, outcome in outcomes:
        typer.echo(f"{name}: {outcome.render()}")
