"""Alembic's environment: runs the revisions on the connection `knowledgebase.migrate` opened.

The caller owns the connection and its transaction, so a whole upgrade (and the stamp of a
database made before migrations) commits or rolls back as one.
"""

from alembic import context

from knowledgebase.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through knowledgebase.migrate (or `kb db upgrade`), which opens the connection"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot alter most of a table in place; batch mode copies it into a new one.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
