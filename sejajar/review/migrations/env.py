"""Alembic's environment: the connection comes from the caller
(:func:`sejajar.review.database.init_database`), never from a config file."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode: SQLite alters a table by copying it, with its data.
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
