"""The Alembic migration environment: `env.py`, the revision template and `versions/`.

Driven from `knowledgebase.migrate` (and `kb db upgrade`), never through an alembic.ini.
"""
