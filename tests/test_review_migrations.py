"""The review schema's migrations, on SQLite and PostgreSQL: a database made by the first
revision, with data in it, upgraded in place to the head keeps its data (and revision 0002
fills in who saved each pair last from the history); the head equals the ORM's tables."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from sejajar.review import schema
from sejajar.review.database import head_revision, init_database
from tests.helpers import run

# Starts processes: PostgreSQL.
pytestmark = pytest.mark.slow

_ROWS = [
    "INSERT INTO users (id, name, role, password_hash, created) VALUES "
    "(1, 'ayu', 'reviewer', 'h1', '2026-01-01 00:00:00'), "
    "(2, 'budi', 'reviewer', 'h2', '2026-01-01 00:00:00')",
    "INSERT INTO projects (id, name, created) VALUES (1, 'news', '2026-01-01 00:00:00')",
    "INSERT INTO documents (id, project_id, name, assigned_id, meta, created) VALUES "
    "(1, 1, 'kontan', 1, '{\"signature\": \"s\"}', '2026-01-01 00:00:00')",
    "INSERT INTO pairs (id, document_id, position, source, target, original_target, decision, "
    "version, flagged, record) VALUES "
    "(1, 1, 0, 'Satu.', 'One!', 'One.', 'edited', 2, false, '{\"flags\": []}'), "
    "(2, 1, 1, 'Dua.', 'Two.', 'Two.', 'pending', 0, true, '{\"flags\": [{\"name\": \"x\"}]}')",
    "INSERT INTO history (id, pair_id, user_id, at, before, after) VALUES "
    "(1, 1, 1, '2026-01-02 10:00:00', '{}', '{}'), (2, 1, 2, '2026-01-02 11:00:00', '{}', '{}')",
]


def test_an_upgrade_from_the_first_schema_keeps_the_data(review_db: str) -> None:
    assert init_database(review_db, "0001") == (None, "0001")
    engine = create_engine(review_db)
    with engine.begin() as connection:
        for statement in _ROWS:
            connection.execute(text(statement))
    code, out, err = run("review", "init", "--db", review_db)
    assert (code, err) == (0, "") and out.endswith(": upgraded 0001 -> 0002\n")
    assert head_revision() == "0002"
    with engine.connect() as connection:
        pairs = connection.execute(
            text("SELECT id, target, original_target, decision, version, flagged, updated_by_id "
                 "FROM pairs ORDER BY id")
        ).all()  # fmt: skip
        assert [tuple(p) for p in pairs] == [
            (1, "One!", "One.", "edited", 2, False, 2),
            (2, "Two.", "Two.", "pending", 0, True, None),
        ]
        assert connection.execute(text("SELECT count(*) FROM history")).scalar() == 2
        assert connection.execute(text("SELECT name FROM users ORDER BY id")).scalars().all() == [
            "ayu", "budi"
        ]  # fmt: skip
        # The last saver's time came along too.
        assert connection.execute(text("SELECT updated_at FROM pairs WHERE id = 1")).scalar()
    engine.dispose()


def test_the_head_schema_is_the_orm_s(review_db: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    init_database(review_db)
    engine = create_engine(review_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, schema.Base.metadata)
    engine.dispose()
    assert differences == []
