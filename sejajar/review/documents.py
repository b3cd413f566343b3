"""Documents: imported from sejajar's JSONL outputs (with NAME.meta.json), listed and read
as each caller may (a reviewer their own, an admin all: :func:`visible`, the one place
that decides), and the progress of a project per reviewer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session as DbSession

from sejajar.align.review import checked_text
from sejajar.core.files import InputError, decode, read_input, shown
from sejajar.review.accounts import Caller
from sejajar.review.database import Database
from sejajar.review.schema import Document, Pair, Project, User
from sejajar.review.settings import ReviewError


class NotFound(ReviewError):
    """No such thing, or not the caller's: the same answer for both."""


@dataclass(frozen=True)
class Imported:
    name: str
    pairs: int


def _records(path: Path) -> list[dict[str, Any]]:
    """The JSONL's records, each checked for what the review keeps."""
    records = []
    for number, line in enumerate(decode(read_input(path), path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            for field in ("id", "source_ids", "target_ids", "flags"):
                if field not in record:
                    raise ValueError(f"missing field {field!r}: not a sejajar JSONL output")
            checked_text(record, "source"), checked_text(record, "target")
            if not isinstance(record["id"], int) or not isinstance(record["flags"], list):
                raise ValueError("id must be a whole number and flags a list")
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{shown(path)}: line {number}: {exc}") from None
        records.append(record)
    return records


def _meta(path: Path) -> dict[str, Any]:
    meta_path = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    if not meta_path.is_file():
        raise InputError(f"{shown(path)}: no {meta_path.name} beside it (sejajar writes both)")
    try:
        meta = json.loads(decode(read_input(meta_path), meta_path))
    except ValueError as exc:
        raise InputError(f"{shown(meta_path)}: not JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("signature"), str):
        raise InputError(f"{shown(meta_path)}: not a sejajar meta.json (no signature)")
    return meta


def import_files(
    db: Database, files: Sequence[Path], project: str, assign: str | None = None
) -> list[Imported]:
    """Import each ``NAME.jsonl`` (and its ``NAME.meta.json``) as document NAME of
    ``project`` (made if new), its reviewable pairs (a source and a target) pending. All or
    nothing: every file is read and checked before anything is stored."""
    read = []
    for path in files:
        if not path.name.endswith(".jsonl"):
            raise InputError(f"{shown(path)}: not a JSONL output of sejajar (NAME.jsonl)")
        if not path.is_file():
            raise InputError(f"{shown(path)}: no such file")
        read.append((path.name.removesuffix(".jsonl"), _meta(path), _records(path)))
    names = [name for name, _, _ in read]
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"two files are named {twice}.jsonl: a document's name is its file's")
    with db.session() as session:
        assigned = None
        if assign is not None:
            assigned = session.scalar(select(User.id).where(User.name == assign))
            if assigned is None:
                raise ReviewError(f"no user {assign}: add them with sejajar review add-user")
        found = session.scalar(select(Project).where(Project.name == project))
        if found is None:
            found = Project(name=project)
            session.add(found)
            session.flush()
        mine = (Document.project_id == found.id) & Document.name.in_(names)
        taken = set(session.scalars(select(Document.name).where(mine)))
        if taken:
            raise ReviewError(f"project {project} already has a document {sorted(taken)[0]}")
        done = []
        for name, meta, records in read:
            document = Document(project_id=found.id, name=name, assigned_id=assigned, meta=meta)
            session.add(document)
            session.flush()
            pairs = [_pair(document.id, r) for r in records if r["source_ids"] and r["target_ids"]]
            session.add_all(pairs)
            done.append(Imported(name, len(pairs)))
    return done


def _pair(document: int, record: dict[str, Any]) -> Pair:
    rest = {k: v for k, v in record.items() if k not in ("id", "source", "target")}
    return Pair(
        document_id=document, position=record["id"], source=record["source"],
        target=record["target"], original_target=record["target"], decision="pending",
        version=0, flagged=bool(record["flags"]), record=rest,
    )  # fmt: skip


def visible(session: DbSession, who: Caller, document: int) -> Document:
    """The document, if the caller may see it (theirs, or any for an admin); else
    :class:`NotFound`, as for one that does not exist."""
    found = session.get(Document, document)
    if found is None or not (who.admin or found.assigned_id == who.id):
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
