"""The Mutuals knowledge base: the public, searchable record of advice given to public service mutuals."""

from __future__ import annotations

from flask import Flask

from . import db
from .config import configure
from .search import create_backend


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, database, search engine, pages, API and commands."""
    # Static files are the built assets in web/static/dist/ (scripts/build-assets), at /static/.
    app = Flask(__name__, instance_relative_config=True, static_folder="web/static")
    configure(app, test_config)
    db.init_app(app)
    app.extensions["kb.search"] = create_backend(
        app.config["SEARCH_BACKEND"],
        index_dir=app.config["INDEX_DIR"],
        cache_size=int(app.config["SEARCH_CACHE_SIZE"]),
        match_cache_size=int(app.config["SEARCH_MATCH_CACHE_SIZE"]),
    )

    from .cli import register_commands
    from .web import register_web

    register_web(app)
    register_commands(app)
    return app
