"""Users, passwords and sign-in sessions. Passwords are kept as argon2 hashes; a session's
cookie token is kept as its SHA-256 (the database never holds a usable token), with a CSRF
token every write must show; a revoked or old session is refused."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

from sqlalchemy import select, update

from sejajar.review.database import Database
from sejajar.review.schema import ROLES, Session, User, now
from sejajar.review.settings import ReviewError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHORTEST_PASSWORD = 8
# How long a session lasts after sign-in.
SESSION_HOURS = 12


@dataclass(frozen=True)
class Caller:
    """A signed-in user, as the API's routes see them."""

    id: int
    name: str
    role: str
    csrf: str
    session_id: int

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _decoy() -> str:
    """A hash checked for an unknown user, so that the answer takes as long as for a known."""
    hashed: str = _hasher().hash(secrets.token_urlsafe(16))
    return hashed


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ReviewError(
            f"user name {name[:70]!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def add_user(db: Database, name: str, role: str, password: str) -> None:
    check_name(name)
    if role not in ROLES:
        raise ReviewError(f"role must be admin or reviewer, not {role!r}")
    if len(password) < SHORTEST_PASSWORD:
        raise ReviewError(f"the password must have at least {SHORTEST_PASSWORD} characters")
    with db.session() as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise ReviewError(f"user {name} exists")
        session.add(User(name=name, role=role, password_hash=_hasher().hash(password)))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_in(db: Database, name: str, password: str) -> tuple[str, Caller] | None:
    """``(cookie token, caller)``, or None for an unknown user or a wrong password alike."""
    from argon2.exceptions import InvalidHashError, VerificationError

    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
    try:
        _hasher().verify(user.password_hash if user else _decoy(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.session() as session:
        row = Session(token_hash=_token_hash(token), user_id=user.id, csrf=csrf)
        session.add(row)
        session.flush()
        caller = Caller(user.id, user.name, user.role, csrf, row.id)
    return token, caller


def caller(db: Database, token: str) -> Caller | None:
    """The session's user, unless the token is unknown, revoked or past its time."""
    with db.reading() as connection:  # every request asks: Core, one statement
        row = connection.execute(
            select(User.id, User.name, User.role, Session.csrf, Session.id.label("session"),
                   Session.created, Session.revoked)
            .join(User, User.id == Session.user_id)
            .where(Session.token_hash == _token_hash(token))
        ).first()  # fmt: skip
    if row is None:
        return None
    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=timezone.utc)
    if row.revoked is not None or now() - created > timedelta(hours=SESSION_HOURS):
        return None
    return Caller(row.id, row.name, row.role, row.csrf, row.session)


def sign_out(db: Database, who: Caller) -> None:
    with db.session() as session:
        session.execute(update(Session).where(Session.id == who.session_id).values(revoked=now()))


def utc(when: datetime) -> str:
    """A stored time as ISO 8601 in UTC (SQLite gives it back without a zone)."""
    aware = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
