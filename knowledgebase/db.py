"""The database connection: one engine per application, one session per request or command."""

from __future__ import annotations

import time
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from .models import Base


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

    def create_all(self) -> None:
        """Create missing tables (the schema has no migrations yet; Alembic comes with the workflow).

        Two processes starting at once may both try to create a table; the loser retries and
        then finds it there."""
        for attempt in range(3):
            try:
                Base.metadata.create_all(self.engine)
                return
            except (OperationalError, ProgrammingError, IntegrityError):
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

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
    database = Database(app.config["DATABASE_URL"])
    database.create_all()
    app.extensions["kb.database"] = database
    app.teardown_appcontext(_close_request_session)
    return database


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
