"""Schema migrations: bring any database up to the schema `models.py` describes, keeping every row.

Alembic runs from here with the environment packaged in `knowledgebase/migrations/`, so operators
need no alembic.ini: `kb db upgrade` calls `upgrade(url)`. A database made before migrations
(by `create_all()`, no `alembic_version` table) is recognised, stamped at the baseline and
upgraded. Developers add a revision with `python -m knowledgebase.migrate revision -m "..."`.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision that creates the schema as `create_all()` made it before migrations existed.
BASELINE = "0001"
#: The tables and columns the baseline creates: what a database made before migrations must have
#: before it may be stamped at the baseline.
BASELINE_COLUMNS = {
    "deliverable": set(
        "id slug title summary organisation deliverable_type programme stage region published "
        "award_value licence markdown body_html body_text toc source_path content_hash indexed_hash "
        "status created_at updated_at".split()
    ),
    **{
        f"deliverable_{name}": {"deliverable_id", "position", "value"}
        for name in ("sector", "legal_form", "provider", "tag")
    },
}
#: Any number, the same in every process: concurrent upgrades of one PostgreSQL database queue on it.
_PG_LOCK_KEY = 0x6B6264627570  # "kbdbup"


class SchemaNotCurrent(Exception):
    """The database is not at the schema this code needs; the message says to run `kb db upgrade`."""


@dataclass
class UpgradeResult:
    before: str | None  #: the revision found (None: no tables, or tables made before migrations)
    after: str  #: the revision now
    stamped: bool  #: tables made before migrations were recognised and stamped at the baseline

    def summary(self) -> str:
        if self.stamped:
            start = f"tables made before migrations (stamped at {BASELINE})"
        elif self.before is None:
            start = "an empty database"
        else:
            start = f"revision {self.before}"
        if self.before == self.after and not self.stamped:
            return f"the database is already at the latest revision, {self.after}"
        return f"upgraded {start} to revision {self.after}"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: the packaged scripts and, if given, the connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # New revision files are numbered 0001, 0002...: the order reads off the file names.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@cache
def head() -> str:
    """The latest revision: the schema this code expects."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migration_engine(database_url: str) -> Engine:
    """An engine for migrating. On SQLite, foreign keys are off (batch mode drops and re-creates
    `deliverable`; with them on, ON DELETE CASCADE would empty the value tables) and the whole
    upgrade is one `BEGIN IMMEDIATE` transaction, so a failed revision leaves nothing half-done
    and a second upgrade waits for the first."""
    if not database_url.startswith("sqlite"):
        return create_engine(database_url)
    engine = create_engine(database_url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event below opens transactions
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def revision_of(connection: Connection) -> str | None:
    """The revision a database is at; None for an empty one or one made before migrations."""
    return MigrationContext.configure(connection).get_current_revision()


def current(database_url: str) -> str | None:
    """The revision the database at `database_url` is at (None: not migrated yet)."""
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            return revision_of(connection)
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> UpgradeResult:
    """Bring a database up to `revision` (default: the latest), in one transaction.

    Tables made by `create_all()` before migrations existed are checked against the baseline,
    stamped at it and upgraded from there, keeping every row."""
    engine = migration_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config = alembic_config(connection)
            before = revision_of(connection)
            stamped = before is None and _made_before_migrations(connection)
            if stamped:
                command.stamp(config, BASELINE)
            command.upgrade(config, revision)
            return UpgradeResult(before, revision_of(connection), stamped)
    finally:
        engine.dispose()


def _made_before_migrations(connection: Connection) -> bool:
    """True if the baseline's tables are there without Alembic's record; an error if only some
    of them are, since no revision knows how to bring such a database up to date."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if not tables & set(BASELINE_COLUMNS):
        return False
    missing = []
    for table, columns in BASELINE_COLUMNS.items():
        if table not in tables:
            missing.append(f"table {table}")
            continue
        found = {column["name"] for column in inspector.get_columns(table)}
        missing.extend(f"{table}.{name}" for name in sorted(columns - found))
    if missing:
        raise SchemaNotCurrent(
            "the database has knowledge-base tables but no migration record, and lacks "
            f"{', '.join(missing)}; it is older than the baseline revision {BASELINE}. "
            "Re-create it (a new database, then `kb ingest`) or add the missing columns by hand."
        )
    return True


def require_head(connection: Connection) -> None:
    """Raise `SchemaNotCurrent`, naming `kb db upgrade`, unless the database is at the latest revision."""
    found = revision_of(connection)
    if found == head():
        return
    if found is None:
        if "deliverable" in inspect(connection).get_table_names():
            raise SchemaNotCurrent(
                "the database was made before migrations: run `kb db upgrade` first (it keeps every row)"
            )
        raise SchemaNotCurrent("the database has no knowledge-base tables yet: run `kb db upgrade` first")
    raise SchemaNotCurrent(
        f"the database is at revision {found} but this code needs {head()}: run `kb db upgrade` first"
    )


def revision(message: str, *, autogenerate: bool = True) -> Path:
    """Write a new revision file in `migrations/versions/` and return its path.

    With `autogenerate`, the new file holds the difference between `models.py` and a scratch
    SQLite database upgraded to the current head. Read it and fix it before committing:
    Alembic does not see renames, and PostgreSQL may need more than SQLite."""
    scripts = ScriptDirectory.from_config(alembic_config())
    number = f"{len(list(scripts.walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"
        upgrade(url)
        engine = migration_engine(url)
        try:
            with engine.begin() as connection:
                script = command.revision(
                    alembic_config(connection), message, autogenerate=autogenerate, rev_id=number
                )
        finally:
            engine.dispose()
    head.cache_clear()
    return Path(script.path)


def main(argv: list[str] | None = None) -> None:
    """`python -m knowledgebase.migrate revision -m "add a column"`: the developers' door."""
    parser = argparse.ArgumentParser(prog="python -m knowledgebase.migrate", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("revision", help="write a new revision from the models' changes")
    new.add_argument("-m", "--message", required=True, help="what the revision changes")
    new.add_argument("--empty", action="store_true", help="an empty revision, no autogenerate")
    arguments = parser.parse_args(argv)
    path = revision(arguments.message, autogenerate=not arguments.empty)
    print(f"wrote {path}; read it, fix it, and test it on SQLite and PostgreSQL before committing")


if __name__ == "__main__":
    main()
