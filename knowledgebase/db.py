"""The database connection: one engine per application, one session per request or command."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import migrate
from .migrate import SchemaNotCurrent


class Database:
    """Owns the engine and the session factory for one database URL."""

    def __init__(self, url: str):
        self.url = url
        options = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.schema_current = False
        self.schema_reported = False

    def require_current_schema(self) -> None:
        """Raise `SchemaNotCurrent`, naming `kb db upgrade`, unless the database is at the latest
        revision. Every command that writes calls it first; once passed, it is not asked again."""
        if self.schema_current:
            return
        with self.engine.connect() as connection:
            migrate.require_head(connection)
        self.schema_current = True

    @contextmanager
    def session(self):
        """A session for a command or a script, committed on success and rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection, _record):
    # WAL lets the site read while an ingest writes; foreign keys make ON DELETE CASCADE work.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> Database:
    """Bind the database to the app. Nothing is created here: `kb db upgrade` makes and migrates
    the schema, so the site starts even on an empty database (and says what to run)."""
    database = Database(app.config["DATABASE_URL"])
    app.extensions["kb.database"] = database
    app.before_request(_check_schema_once)
    app.teardown_appcontext(_close_request_session)
    return database


def _check_schema_once() -> None:
    """On a process's first request, log (once) if the database needs `kb db upgrade`; pages
    that need the missing tables or columns will then fail, and the log says why."""
    database = get_database()
    if database.schema_current or database.schema_reported:
        return
    database.schema_reported = True
    try:
        database.require_current_schema()
    except (SchemaNotCurrent, SQLAlchemyError) as error:
        current_app.logger.error("The site cannot read the database: %s", error)


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["kb.database"]


def get_session() -> Session:
    """The current request's session, opened on first use and closed when the request ends."""
    if "kb_session" not in g:
        g.kb_session = get_database().sessions()
    return g.kb_session


def _close_request_session(_exc):
    session = g.pop("kb_session", None)
    if session is not None:
        session.close()
