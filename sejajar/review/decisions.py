"""Reading a document's pairs and saving decisions on them. Every pair has a version: a save
names the version it saw and is refused (:class:`Conflict`, with the newer decision and who
made it) when the pair has moved on; each save is stored with its history row and its
idempotency key in one transaction, so a save sent twice is stored once."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from sejajar.align.review import checked_text
from sejajar.review.accounts import Caller, utc
from sejajar.review.database import Database
from sejajar.review.documents import NotFound, may_see, visible
from sejajar.review.schema import (
    DECISIONS,
    Document,
    History,
    IdempotencyKey,
    Pair,
    Project,
    User,
    now,
)
from sejajar.review.settings import ReviewError

_KEY = re.compile(r"[\x21-\x7e]{1,200}")


class Invalid(ReviewError):
    """A save that cannot be: a bad decision, target or idempotency key."""


class KeyReused(ReviewError):
    """An idempotency key already used for another save."""


class Conflict(ReviewError):
    """The pair was saved since the version the caller saw; ``current`` is what it is now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(f"the pair was saved since: it is at version {current['version']}")
        self.current = current


@dataclass(frozen=True)
class Change:
    """A save: the decision, the new English (only with ``edited``), the version it saw."""

    decision: str
    version: int
    target: str | None = None

    def check(self) -> None:
        if self.decision not in DECISIONS:
            raise Invalid(f"decision must be one of {', '.join(DECISIONS)}, not {self.decision!r}")
        if self.decision != "edited":
            if self.target is not None:
                raise Invalid("target goes with the decision edited only")
            return
        if self.target is None:
            raise Invalid("an edited pair needs its target")
        try:
            checked_text({"target": self.target}, "target")
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        if not self.target.strip():
            raise Invalid("target is empty: reject the pair instead")


def _state(pair: Any) -> dict[str, Any]:
    """What a save changes of a pair (a row with those columns): its decision, target, version."""
    return {"decision": pair.decision, "target": pair.target, "version": pair.version}


def _pair_json(pair: Pair, by: str | None) -> dict[str, Any]:
    return {
        "id": pair.position, "source": pair.source, "target": pair.target,
        "original_target": pair.original_target, "decision": pair.decision,
        "version": pair.version, "flags": pair.record.get("flags", []),
        **{k: v for k, v in pair.record.items() if k != "flags"},
        "by": by, "at": utc(pair.updated_at) if pair.updated_at else None,
    }  # fmt: skip


def _find(session: DbSession, who: Caller, document: int, position: int) -> Pair:
    visible(session, who, document)
    pair = session.scalar(
        select(Pair).where(Pair.document_id == document, Pair.position == position)
    )
    if pair is None:
        raise NotFound("no such pair")
    return pair


def read_document(db: Database, who: Caller, document: int) -> dict[str, Any]:
    with db.session() as session:
        found = visible(session, who, document)
        project = session.get(Project, found.project_id)
        rows = session.execute(
            select(Pair, User.name)
            .outerjoin(User, User.id == Pair.updated_by_id)
            .where(Pair.document_id == found.id)
            .order_by(Pair.position)
        ).all()
    return {
        "id": found.id, "name": found.name, "project": project.name if project else None,
        "signature": found.meta.get("signature", ""), "links": found.meta.get("links"),
        "pairs": [_pair_json(pair, by) for pair, by in rows],
    }  # fmt: skip


class _KeyTaken(Exception):
    """The idempotency key was stored meanwhile by the same user's other request."""


def save(db: Database, who: Caller, document: int, position: int, change: Change, key: str) -> int:
    """Store ``change`` on the pair; its new version. The same ``key`` sent again by the same
    user gets the first answer and stores nothing.

    One transaction that holds the right to write from its start (:meth:`Database.writing`;
    on PostgreSQL the pair's row is locked as it is read): the pair and who may see it, then
    either the new decision with its history and key rows, or the answer to a save that
    changes nothing. Core statements: the ORM's bookkeeping was most of a save's time."""
    change.check()
    if not _KEY.fullmatch(key):
        raise Invalid("Idempotency-Key must be 1 to 200 visible ASCII characters")
    asked = json.dumps([document, position, change.decision, change.target, change.version])
    request = hashlib.sha256(asked.encode("utf-8")).hexdigest()
    try:
        with db.writing() as connection:
            pair = _locked(connection, who, document, position)
            if pair.version != change.version:
                return _answered(connection, who, key, request, pair)
            when, version = now(), change.version + 1
            before = _state(pair)
            after = {
                "decision": change.decision,
                "target": change.target or pair.original_target,
                "version": version,
            }
            connection.execute(
                update(Pair)
                .where(Pair.id == pair.id)
                .values(
                    decision=after["decision"], target=after["target"], version=version,
                    updated_by_id=who.id, updated_at=when,
                )
            )  # fmt: skip
            connection.execute(
                insert(History).values(
                    pair_id=pair.id, user_id=who.id, at=when, before=before, after=after
                )
            )
            try:
                connection.execute(
                    insert(IdempotencyKey).values(
                        user_id=who.id, key=key, request=request,
                        response={"version": version}, created=when,
                    )
                )  # fmt: skip
            except IntegrityError:
                raise _KeyTaken from None
            return version
    except _KeyTaken:  # rolled back: what the key's first request stored is the answer
        with db.reading() as connection:
            return _answered(
                connection, who, key, request, _locked(connection, who, document, position)
            )


def _locked(
    connection: Connection, who: Caller, document: int, position: int
) -> Row[Unpack[tuple[Any, ...]]]:
    """The pair, row-locked on PostgreSQL (so read as the save before left it: a joined
    table's columns would not be, hence who saved it is looked up apart); :class:`NotFound`
    when the caller may not see the document, or it has no such pair."""
    found = connection.execute(
        select(
            Pair.id, Pair.decision, Pair.target, Pair.original_target, Pair.version,
            Pair.updated_at, Pair.updated_by_id, Document.assigned_id,
        )
        .join(Document, Document.id == Pair.document_id)
        .where(Pair.document_id == document, Pair.position == position)
        .with_for_update(of=Pair)
    ).first()  # fmt: skip
    if found is None:
        owner = connection.execute(
            select(Document.assigned_id).where(Document.id == document)
        ).first()
        if owner is None or not may_see(who, owner.assigned_id):
            raise NotFound("no such document")
        raise NotFound("no such pair")
    if not may_see(who, found.assigned_id):
        raise NotFound("no such document")
    return found


def _answered(
    connection: Connection, who: Caller, key: str, request: str, pair: Row[Unpack[tuple[Any, ...]]]
) -> int:
    """The answer to a save that changed nothing: the stored one for a key seen before,
    else a :class:`Conflict` with what the pair is now."""
    stored = connection.execute(
        select(IdempotencyKey.request, IdempotencyKey.response).where(
            IdempotencyKey.user_id == who.id, IdempotencyKey.key == key
        )
    ).first()
    if stored is not None and stored.request != request:
        raise KeyReused("Idempotency-Key was used for another request")
    if stored is not None:
        version: int = stored.response["version"]
        return version
    by = connection.scalar(select(User.name).where(User.id == pair.updated_by_id))
    raise Conflict(
        {**_state(pair), "by": by, "at": utc(pair.updated_at) if pair.updated_at else None}
    )


def history(db: Database, who: Caller, document: int, position: int) -> list[dict[str, Any]]:
    """Every save of the pair, oldest first: who, when, before and after."""
    with db.session() as session:
        pair = _find(session, who, document, position)
        rows = session.execute(
            select(History, User.name)
            .join(User, User.id == History.user_id)
            .where(History.pair_id == pair.id)
            .order_by(History.id)
        ).all()
    return [
        {"user": name, "at": utc(h.at), "before": h.before, "after": h.after} for h, name in rows
    ]
