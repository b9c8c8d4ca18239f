"""Configuration: working defaults, overridden by `KB_`-prefixed environment variables.

`KB_DATABASE_URL=postgresql+psycopg://...` sets `DATABASE_URL`, and so on: Flask's
`from_prefixed_env` strips the prefix and reads JSON values, so `KB_INGEST_LOCK_TIMEOUT=5` is a number.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

#: The project folder holding `content/` and `index/` (the package is installed editable).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def configure(app: Flask, overrides: dict | None = None) -> None:
    """Defaults, then the environment, then the overrides a test or script passes."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        SECRET_KEY=secrets.token_hex(32),
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
    )
    app.config.from_prefixed_env("KB")
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config["VOCABULARIES"]:
        app.config["VOCABULARIES"] = str(Path(app.config["CONTENT_DIR"]) / "vocabularies.yml")
    instance.mkdir(parents=True, exist_ok=True)
