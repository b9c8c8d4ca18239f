"""Baseline: the schema as `Base.metadata.create_all()` made it before migrations existed.

Databases made that way have these tables and no `alembic_version`; `knowledgebase.migrate`
stamps them at this revision instead of running it. Frozen: never edit it, add a revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: The many-valued properties, one row per value, and the length of their values.
VALUE_TABLES = {
    "deliverable_sector": 64,
    "deliverable_legal_form": 64,
    "deliverable_provider": 300,
    "deliverable_tag": 200,
}
DELIVERABLE_INDEXED = (
    "deliverable_type",
    "programme",
    "stage",
    "region",
    "published",
    "source_path",
    "status",
)


def upgrade() -> None:
    op.create_table(
        "deliverable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=600), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("deliverable_type", sa.String(length=64), nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("award_value", sa.Integer(), nullable=True),
        sa.Column("licence", sa.String(length=100), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("toc", sa.JSON(), nullable=False),
        sa.Column("source_path", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("indexed_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    for column in DELIVERABLE_INDEXED:
        op.create_index(f"ix_deliverable_{column}", "deliverable", [column])
    for table, length in VALUE_TABLES.items():
        op.create_table(
            table,
            sa.Column("value", sa.String(length=length), nullable=False),
            sa.Column("deliverable_id", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["deliverable_id"], ["deliverable.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("value", "deliverable_id"),
        )
        op.create_index(f"ix_{table}_value", table, ["value"])


def downgrade() -> None:
    for table in VALUE_TABLES:
        op.drop_table(table)
    op.drop_table("deliverable")
