"""Opening the review database: the engine (SQLite in WAL mode with a busy timeout, or
PostgreSQL through psycopg 3), the schema made or upgraded by the shipped Alembic
migrations, and a check that a database opened for work is at the schema this sejajar has."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sejajar.review.settings import ReviewError

# How long a SQLite writer waits for another's lock before it gives up.
BUSY_TIMEOUT_MS = 30_000
_MIGRATIONS = "sejajar.review:migrations"


def _url(text: str, make_folder: bool = False) -> URL:
    try:
        url = make_url(text)
    except ArgumentError:
        raise ReviewError(f"{{db}}: not a database URL: {text[:60]!r}") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ReviewError("{db}: a SQLite database must be a file (sqlite:///FILE)")
        if make_folder:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        if not Path(url.database).parent.is_dir():
            raise ReviewError(f"{{db}}: no such folder: {Path(url.database).parent}")
    return url


def shown(url: URL) -> str:
    """The URL as messages show it: never its password."""
    return url.render_as_string(hide_password=True)


def _engine(url: URL, foreign_keys: bool = True) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def setup(connection: Any, record: Any) -> None:
        # sejajar begins transactions itself (below), so that a write can take SQLite's
        # writer lock at its start (BEGIN IMMEDIATE) rather than at its first write.
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Off while migrating: SQLite alters a table by copying it, which they would refuse.
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _reported(url: URL) -> Iterator[None]:
    """A database that cannot be reached or used: one line naming it (never its password)."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise ReviewError(
            f"review database {shown(url)}: {cause[0] if cause else type(exc).__name__}"
        ) from None


def init_database(
    text: str, revision: str = "head", make_folder: bool = False
) -> tuple[str | None, str]:
    """Make the schema, or upgrade it to ``revision``; ``(revision before, revision after)``.
    ``make_folder``: a SQLite file's folder is made if missing (the default file's)."""
    from alembic import command

    url = _url(text, make_folder)
    engine = _engine(url, foreign_keys=False)
    try:
        with _reported(url):
            before = _current(engine)
            with engine.begin() as connection:
                config = _config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
            after = _current(engine)
    finally:
        engine.dispose()
    assert after is not None
    return before, after


class Database:
    """An open review database at the head schema: sessions for the library's calls."""

    def __init__(self, text: str) -> None:
        self.url = _url(text)
        if self.url.get_backend_name() == "sqlite" and not Path(str(self.url.database)).exists():
            raise ReviewError(
                f"no review database at {self.url.database}: make it with sejajar review init"
            )
        self.engine = _engine(self.url)
        try:
            with _reported(self.url):
                current = _current(self.engine)
        except ReviewError:
            self.engine.dispose()
            raise
        if current != head_revision():
            self.engine.dispose()
            what = "has no review schema" if current is None else f"is at schema {current}"
            raise ReviewError(
                f"review database {shown(self.url)} {what}, this sejajar needs "
                f"{head_revision()}: run sejajar review init --db URL"
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. This process's writers queue here, in turn, rather
        # than in SQLite's busy handler (which polls with sleeps of up to 100 ms: the tail of
        # the save latency); another process's writer still waits the busy timeout.
        sqlite = self.url.get_backend_name() == "sqlite"
        self._writer: AbstractContextManager[Any] = threading.Lock() if sqlite else nullcontext()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends, rolls back on error; a
        database error becomes a :class:`ReviewError`."""
        with _reported(self.url), self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a transaction (Core, no ORM: the per-request lookups)."""
        with _reported(self.url), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a transaction that holds the right to write from its start (on
        SQLite this process's writer turn and the database's writer lock; PostgreSQL locks
        rows as they are written); it commits when the block ends, rolls back on error."""
        with _reported(self.url), self._writer, self.engine.connect() as connection:
            connection.execution_options(immediate=True)
            with connection.begin():
                yield connection

    def close(self) -> None:
        self.engine.dispose()
