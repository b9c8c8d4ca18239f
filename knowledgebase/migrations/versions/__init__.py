"""The schema's revisions, oldest first; Alembic reads them by path (it skips this file)."""
