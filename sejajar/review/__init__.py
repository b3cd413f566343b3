"""Team review: projects, documents and reviewers in a database (SQLite or PostgreSQL), each
decision versioned and kept with its history, exported as ``apply-review`` exports.

A layer of its own between :mod:`sejajar.jobs` (whose review renderers the export reuses)
and :mod:`sejajar.serve` (whose API is a thin layer over it); the CLI's ``review`` commands
are another. Nothing here imports SQLAlchemy until a database is opened (the ``review`` extra).
"""
