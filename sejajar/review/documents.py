"""Documents listed and read as each caller may (a reviewer their own, an admin all:
:func:`visible`, the one place that decides), and the progress of a project per reviewer.
(:mod:`sejajar.review.imports` brings them in.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session as DbSession

from sejajar.review.accounts import Caller
from sejajar.review.database import Database
from sejajar.review.schema import Document, Pair, Project, User
from sejajar.review.settings import ReviewError


class NotFound(ReviewError):
    """No such thing, or not the caller's: the same answer for both."""


def may_see(who: Caller, assigned: int | None) -> bool:
    """Whether the caller may see a document assigned to ``assigned`` (theirs, or any for an
    admin)."""
    return who.admin or assigned == who.id


def visible(session: DbSession, who: Caller, document: int) -> Document:
    """The document, if the caller :func:`may_see` it; else :class:`NotFound`, as for one
    that does not exist."""
    found = session.get(Document, document)
    if found is None or not may_see(who, found.assigned_id):
        raise NotFound("no such document")
    return found


def _mine(who: Caller) -> ColumnElement[bool]:
    """The documents the caller may see."""
    return true() if who.admin else Document.assigned_id == who.id


def list_documents(db: Database, who: Caller) -> list[dict[str, Any]]:
    reviewed = func.sum(case((Pair.decision != "pending", 1), else_=0))
    query = (
        select(Document.id, Document.name, Project.name, func.count(Pair.id), reviewed)
        .join(Project, Project.id == Document.project_id)
        .outerjoin(Pair, Pair.document_id == Document.id)
        .group_by(Document.id, Document.name, Project.name)
        .order_by(Project.name, Document.name)
    )
    with db.session() as session:
        rows = session.execute(query.where(_mine(who))).all()
    return [
        {"id": i, "name": n, "project": p, "pairs": count, "reviewed": int(done or 0)}
        for i, n, p, count, done in rows
    ]


def progress(db: Database, who: Caller, project: str) -> list[dict[str, Any]]:
    """Per reviewer (the documents' assignee; None for documents nobody has): pairs,
    reviewed, accepted, edited, rejected, and flagged pairs still pending."""

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            User.name, func.count(Pair.id), count(Pair.decision != "pending"),
            count(Pair.decision == "accepted"), count(Pair.decision == "edited"),
            count(Pair.decision == "rejected"),
            count((Pair.decision == "pending") & Pair.flagged),
        )
        .select_from(Document)
        .join(Project, Project.id == Document.project_id)
        .outerjoin(Pair, Pair.document_id == Document.id)
        .outerjoin(User, User.id == Document.assigned_id)
        .where(Project.name == project)
        .group_by(User.name)
        .order_by(User.name)
    )  # fmt: skip
    with db.session() as session:
        rows = session.execute(query.where(_mine(who))).all()
    if not rows:
        raise NotFound("no such project")
    fields = ("reviewer", "pairs", "reviewed", "accepted", "edited", "rejected", "flagged_left")
    return [
        dict(zip(fields, (row[0], *(int(n or 0) for n in row[1:])), strict=True)) for row in rows
    ]


def assign(db: Database, project: str, user: str, names: Sequence[str] = ()) -> list[str]:
    """Hand the project's documents (all, or the ones named) to ``user``: their names. The
    decisions made on them so far stay. Nothing changes when a name is unknown."""
    with db.session() as session:
        project_id = session.scalar(select(Project.id).where(Project.name == project))
        if project_id is None:
            raise NotFound(f"no project {project}")
        user_id = session.scalar(select(User.id).where(User.name == user))
        if user_id is None:
            raise NotFound(f"no user {user}: add them with sejajar review add-user")
        query = select(Document).where(Document.project_id == project_id)
        if names:
            query = query.where(Document.name.in_(set(names)))
        found = list(session.scalars(query.order_by(Document.name)))
        missing = sorted(set(names) - {document.name for document in found})
        if missing:
            raise NotFound(f"no document {', '.join(missing)} in project {project}")
        for document in found:
            document.assigned_id = user_id
        return [document.name for document in found]
