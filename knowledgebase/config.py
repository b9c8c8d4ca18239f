"""Configuration: working defaults, overridden by `KB_`-prefixed environment variables.

`KB_DATABASE_URL=postgresql+psycopg://...` sets `DATABASE_URL`, and so on: Flask's
`from_prefixed_env` strips the prefix and reads JSON values, so `KB_INGEST_LOCK_TIMEOUT=5` is a number.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

#: The project folder holding `content/` and `index/` (the package is installed editable).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def configure(app: Flask, overrides: dict | None = None) -> None:
    """Defaults, then the environment, then the overrides a test or script passes."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE_URL=f"sqlite:///{instance / 'knowledgebase.sqlite3'}",
        INDEX_DIR=str(PROJECT_ROOT / "index"),
        CONTENT_DIR=str(PROJECT_ROOT / "content"),
        VOCABULARIES=None,
        SEARCH_BACKEND="whoosh",
        SEARCH_CACHE_SIZE=512,
        SEARCH_MATCH_CACHE_SIZE=64,
        INGEST_LOCK=str(instance / "ingest.lock"),
        INGEST_LOCK_TIMEOUT=30.0,
        PUBLIC_URL=None,
        PROXY_HOPS=0,
        SITEMAP_LIMIT=50_000,
        JSON_SORT_KEYS=False,
        # Accounts (knowledgebase/web/auth.py): the session cookie, CSRF and throttling.
        SESSION_COOKIE_NAME="kb_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=None,
        PERMANENT_SESSION_LIFETIME=8 * 60 * 60,
        RATELIMIT_STORAGE_URL=None,
        # Per client address (knowledgebase/web/limits.py): reading the API is generous enough for
        # a notebook paging through every result; downloads stream up to the whole collection.
        API_RATE_LIMIT="300 per minute;5000 per hour",
        EXPORT_RATE_LIMIT="30 per minute;300 per hour",
        # Where `kb export` writes the open-data archive by default and the site serves it from.
        EXPORT_DIR=str(instance / "exports"),
        # Seconds a publish on the site waits for an ingest holding the index lock before leaving
        # the index update to `kb sync` (well under gunicorn's 30-second worker timeout).
        PUBLISH_INDEX_WAIT=5.0,
        # A form's CSRF token lasts as long as the sign-in (8 hours), not Flask-WTF's default hour,
        # so a long edit is not lost on saving.
        WTF_CSRF_TIME_LIMIT=None,
        # Uploads of a deliverable's Markdown: far more than any deliverable needs.
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.from_prefixed_env("KB")
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        # Secure cookies whenever the public address is https (browsers drop them on plain http).
        app.config["SESSION_COOKIE_SECURE"] = str(app.config["PUBLIC_URL"] or "").startswith("https:")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config["VOCABULARIES"]:
        app.config["VOCABULARIES"] = str(Path(app.config["CONTENT_DIR"]) / "vocabularies.yml")
    instance.mkdir(parents=True, exist_ok=True)


def _instance_secret(instance: Path) -> str:
    """The key that signs sessions and CSRF tokens when KB_SECRET_KEY is not set: made once and
    kept in the instance folder (readable by its owner only), so every worker process and every
    restart shares it and people stay signed in. Set KB_SECRET_KEY on servers behind a load balancer."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    # Written aside and linked into place, so no process ever reads a half-written key.
    temporary = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)
    except FileExistsError:  # another worker made it first: use theirs
        pass
    finally:
        temporary.unlink()
    return path.read_text(encoding="ascii").strip()
