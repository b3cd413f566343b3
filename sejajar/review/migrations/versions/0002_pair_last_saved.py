"""Who saved a pair last, and when, on the pair (a 409 names them without reading the
history), filled in from the history; the history indexed by pair (its endpoint).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pairs") as batch:
        batch.add_column(sa.Column("updated_by_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_pairs_updated_by_id_users", "users", ["updated_by_id"], ["id"])
    op.create_index("ix_history_pair", "history", ["pair_id", "id"])
    # Each pair's last history row gives its user and time (plain SQL: the same on both).
    op.execute(
        "UPDATE pairs SET "
        "updated_by_id = (SELECT h.user_id FROM history h WHERE h.id = "
        "(SELECT MAX(h2.id) FROM history h2 WHERE h2.pair_id = pairs.id)), "
        "updated_at = (SELECT h.at FROM history h WHERE h.id = "
        "(SELECT MAX(h2.id) FROM history h2 WHERE h2.pair_id = pairs.id))"
    )


def downgrade() -> None:
    op.drop_index("ix_history_pair", "history")
    with op.batch_alter_table("pairs") as batch:
        batch.drop_constraint("fk_pairs_updated_by_id_users", type_="foreignkey")
        batch.drop_column("updated_at")
        batch.drop_column("updated_by_id")
