"""Reading a document's pairs and saving decisions on them. Every pair has a version: a save
names the version it saw and is refused (:class:`Conflict`, with the newer decision and who
made it) when the pair has moved on; each save is stored with its history row and its
idempotency key in one transaction, so a save sent twice is stored once."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from sejajar.align.review import checked_text
from sejajar.review.accounts import Caller, utc
from sejajar.review.database import Database
from sejajar.review.documents import NotFound, visible
from sejajar.review.schema import DECISIONS, History, IdempotencyKey, Pair, Project, User, now
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


def _state(pair: Pair) -> dict[str, Any]:
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


def current(db: Database, who: Caller, document: int, position: int) -> dict[str, Any]:
    """The pair's decision, target, version, and who saved it last and when."""
    with db.session() as session:
        pair = _find(session, who, document, position)
        by = session.get(User, pair.updated_by_id) if pair.updated_by_id else None
        return {**_state(pair), "by": by.name if by else None,
                "at": utc(pair.updated_at) if pair.updated_at else None}  # fmt: skip


def save(db: Database, who: Caller, document: int, position: int, change: Change, key: str) -> int:
    """Store ``change`` on the pair; its new version. The same ``key`` sent again by the same
    user gets the first answer and stores nothing."""
    change.check()
    if not _KEY.fullmatch(key):
        raise Invalid("Idempotency-Key must be 1 to 200 visible ASCII characters")
    asked = json.dumps([document, position, change.decision, change.target, change.version])
    request = hashlib.sha256(asked.encode("utf-8")).hexdigest()
    with db.session() as session:
        pair = _find(session, who, document, position)
        pair_id, original = pair.id, pair.original_target
    when, version = now(), change.version + 1
    after = {"decision": change.decision, "target": change.target or original, "version": version}
    with db.own_transaction() as session:
        try:
            if _store(session, who, pair_id, change, after, when):
                last = session.scalar(
                    select(History.after)
                    .where(History.pair_id == pair_id)
                    .order_by(History.id.desc())
                    .limit(1)
                )
                before = last or {"decision": "pending", "target": original, "version": 0}
                session.add(
                    History(pair_id=pair_id, user_id=who.id, at=when, before=before, after=after)
                )
                session.add(
                    IdempotencyKey(
                        user_id=who.id, key=key, request=request, response={"version": version}
                    )
                )
                session.commit()
                return version
            session.rollback()
        except IntegrityError:  # the key, stored meanwhile by the same user's other request
            session.rollback()
    return _answered(db, who, key, request, document, position)


def _store(
    session: DbSession, who: Caller, pair: int, change: Change, after: dict[str, Any], when: Any
) -> bool:
    """Whether the pair was at ``change.version`` and now holds ``after``. The write comes
    first in its transaction: SQLite's writer lock is taken (waiting its busy timeout) before
    anything is read, and PostgreSQL's row lock orders concurrent saves of one pair."""
    done = session.execute(
        update(Pair)
        .where(Pair.id == pair, Pair.version == change.version)
        .values(
            decision=after["decision"], target=after["target"], version=after["version"],
            updated_by_id=who.id, updated_at=when,
        )
    )  # fmt: skip
    return getattr(done, "rowcount", 0) == 1


def _answered(
    db: Database, who: Caller, key: str, request: str, document: int, position: int
) -> int:
    """The answer to a save that changed nothing: the stored one for a key seen before,
    else a :class:`Conflict` with what the pair is now."""
    with db.session() as session:
        stored = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == who.id, IdempotencyKey.key == key
            )
        )
        if stored is not None and stored.request != request:
            raise KeyReused("Idempotency-Key was used for another request")
        if stored is not None:
            version: int = stored.response["version"]
            return version
    raise Conflict(current(db, who, document, position))


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
