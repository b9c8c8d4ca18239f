"""Withdrawal with a reason and a date; the dates a deliverable first appeared and last changed.

`first_published_at` is filled from `created_at` (the first ingest) and `last_changed_at` from
`updated_at`, the best record there is of the last change (it also moved when only the index or
the status did). Rows withdrawn before this revision keep `withdrawn_at` and `withdrawn_reason`
empty: when and why was never recorded.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliverable") as batch:
        batch.add_column(sa.Column("first_published_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_changed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    deliverable = sa.table(
        "deliverable",
        sa.column("created_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
        sa.column("first_published_at", sa.DateTime()),
        sa.column("last_changed_at", sa.DateTime()),
    )
    # Both old columns are NOT NULL; the fallbacks only guard rows written by hand.
    now = sa.literal(dt.datetime.now(dt.UTC).replace(tzinfo=None), sa.DateTime())
    op.execute(
        deliverable.update().values(
            first_published_at=sa.func.coalesce(deliverable.c.created_at, deliverable.c.updated_at, now),
            last_changed_at=sa.func.coalesce(deliverable.c.updated_at, deliverable.c.created_at, now),
        )
    )
    with op.batch_alter_table("deliverable") as batch:
        batch.alter_column("first_published_at", existing_type=sa.DateTime(), nullable=False)
        batch.alter_column("last_changed_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("deliverable") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
        batch.drop_column("last_changed_at")
        batch.drop_column("first_published_at")
