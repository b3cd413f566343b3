"""The tables, as the schema's head revision has them (SQLAlchemy 2's typed ORM). Changing
one needs a migration in ``migrations/versions`` (the test of migrations compares the two).

Times are UTC. A pair's ``decision`` is accepted, rejected, edited (accepted with a changed
``target``) or pending; ``version`` counts its saves, so a save names the version it saw."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("admin", "reviewer")
DECISIONS = ("accepted", "rejected", "edited", "pending")


def now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    created: Mapped[datetime] = mapped_column(default=now)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(default=now)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    assigned_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # NAME.meta.json as imported (its signature goes into the TMX export).
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(default=now)


class Pair(Base):
    __tablename__ = "pairs"
    __table_args__ = (UniqueConstraint("document_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    # The link's id in the JSONL (the page's pair id): what the API calls the pair.
    position: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    original_target: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16), default="pending")
    version: Mapped[int] = mapped_column(default=0)
    flagged: Mapped[bool] = mapped_column(default=False)
    # The JSONL record's other fields (flags, ids, paragraph, kind, score, moved), as imported.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who saved the pair last, and when (revision 0002).
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]


class History(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_pair", "pair_id", "id"),)  # revision 0002
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=now)
    # {"decision", "target", "version"} before and after the save.
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class IdempotencyKey(Base):
    """A save's key and its answer: the same key sent again gets the answer, not a new save."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the request (document, pair, body): the key reused for another is refused.
    request: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(default=now)


class Session(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie's token: the database never holds a usable token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(default=now)
    revoked: Mapped[datetime | None]
