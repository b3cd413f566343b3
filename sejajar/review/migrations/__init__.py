"""Alembic's migrations of the review database, shipped in the package: ``sejajar review
init`` runs them (:func:`sejajar.review.database.init_database`)."""
