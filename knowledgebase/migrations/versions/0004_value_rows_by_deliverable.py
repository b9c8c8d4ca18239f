"""An index on (deliverable_id, position) for each many-valued field's table.

The primary keys lead with the value (for filters), so reading one deliverable's values scanned
the whole table: a download of 50,000 deliverables read every value table once per batch of 500
(quadratic), and every page of results paid a scan per field. Only indexes are added; no row changes.

Revision 0004, after 0003; written 2026-11-25.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("deliverable_sector", "deliverable_legal_form", "deliverable_provider", "deliverable_tag")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_deliverable_id", table, ["deliverable_id", "position"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_deliverable_id", table_name=table)
