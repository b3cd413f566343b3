"""Documents in: sejajar's JSONL outputs with their NAME.meta.json, from files (``sejajar
review import``) or from a request (the API's upload, in the shape ``/v1/translate``
answers), each record checked, the reviewable pairs (a source and a target) stored pending.
All or nothing: everything is checked before anything is stored."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sejajar.align.review import checked_text
from sejajar.core.files import InputError, decode, read_input, shown
from sejajar.review.database import Database
from sejajar.review.schema import Document, Pair, Project, User
from sejajar.review.settings import ReviewError


class Unusable(ReviewError):
    """What was to be imported cannot be (a bad record, an unknown user to assign)."""


class Exists(ReviewError):
    """The project has a document of that name already."""


@dataclass(frozen=True)
class Imported:
    id: int
    name: str
    pairs: int


@dataclass(frozen=True)
class Incoming:
    """A document to import: its name, ``meta.json`` and JSONL records."""

    name: str
    meta: dict[str, Any]
    records: list[dict[str, Any]]


def check_record(record: object) -> dict[str, Any]:
    """``record`` if it is a JSONL output's record the review can keep; else ValueError."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    for field in ("id", "source_ids", "target_ids", "flags"):
        if field not in record:
            raise ValueError(f"missing field {field!r}: not a sejajar JSONL output")
    checked_text(record, "source"), checked_text(record, "target")
    if isinstance(record["id"], bool) or not isinstance(record["id"], int) or record["id"] < 0:
        raise ValueError("id must be a whole number >= 0")
    if not all(isinstance(record[f], list) for f in ("source_ids", "target_ids", "flags")):
        raise ValueError("source_ids, target_ids and flags must be lists")
    return record


def check_meta(meta: object) -> dict[str, Any]:
    if not isinstance(meta, dict) or not isinstance(meta.get("signature"), str):
        raise ValueError("not a sejajar meta.json (no signature)")
    return meta


def _records(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(decode(read_input(path), path).split("\n"), 1):
        if line.strip():
            try:
                records.append(check_record(json.loads(line)))
            except (ValueError, RecursionError) as exc:
                raise InputError(f"{shown(path)}: line {number}: {exc}") from None
    return records


def _meta(path: Path) -> dict[str, Any]:
    meta_path = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    if not meta_path.is_file():
        raise InputError(f"{shown(path)}: no {meta_path.name} beside it (sejajar writes both)")
    try:
        return check_meta(json.loads(decode(read_input(meta_path), meta_path)))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{shown(meta_path)}: {exc}") from None


def read_files(files: Sequence[Path]) -> list[Incoming]:
    """Each ``NAME.jsonl`` with its ``NAME.meta.json``, as document NAME."""
    read = []
    for path in files:
        if not path.name.endswith(".jsonl"):
            raise InputError(f"{shown(path)}: not a JSONL output of sejajar (NAME.jsonl)")
        if not path.is_file():
            raise InputError(f"{shown(path)}: no such file")
        read.append(Incoming(path.name.removesuffix(".jsonl"), _meta(path), _records(path)))
    names = [document.name for document in read]
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"two files are named {twice}.jsonl: a document's name is its file's")
    return read


def import_documents(
    db: Database, documents: Sequence[Incoming], project: str, assign: str | None = None
) -> list[Imported]:
    """Store ``documents`` in ``project`` (made if new), assigned to ``assign``."""
    for incoming in documents:
        ids = [r["id"] for r in incoming.records]
        if len(set(ids)) < len(ids):
            raise Unusable(f"{incoming.name}: a record id appears twice")
    with db.session() as session:
        assigned = None
        if assign is not None:
            assigned = session.scalar(select(User.id).where(User.name == assign))
            if assigned is None:
                raise Unusable(f"no user {assign}: add them with sejajar review add-user")
        found = session.scalar(select(Project).where(Project.name == project))
        if found is None:
            found = Project(name=project)
            session.add(found)
            session.flush()
        names = [d.name for d in documents]
        mine = (Document.project_id == found.id) & Document.name.in_(names)
        taken = set(session.scalars(select(Document.name).where(mine)))
        if taken:
            raise Exists(f"project {project} already has a document {sorted(taken)[0]}")
        done = []
        for incoming in documents:
            document = Document(
                project_id=found.id, name=incoming.name, assigned_id=assigned, meta=incoming.meta
            )
            session.add(document)
            session.flush()
            pairs = [_pair(document.id, r) for r in incoming.records if _reviewable(r)]
            session.add_all(pairs)
            done.append(Imported(document.id, incoming.name, len(pairs)))
    return done


def _reviewable(record: dict[str, Any]) -> bool:
    """A link with both sides: the page's pairs (the others are set aside)."""
    return bool(record["source_ids"] and record["target_ids"])


def _pair(document: int, record: dict[str, Any]) -> Pair:
    rest = {k: v for k, v in record.items() if k not in ("id", "source", "target")}
    return Pair(
        document_id=document, position=record["id"], source=record["source"],
        target=record["target"], original_target=record["target"], decision="pending",
        version=0, flagged=bool(record["flags"]), record=rest,
    )  # fmt: skip
