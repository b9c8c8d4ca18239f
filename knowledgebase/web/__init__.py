"""The web face of the knowledge base: HTML pages and the JSON API, over `catalogue`."""

from __future__ import annotations

from flask import Flask

from .api import api
from .layout import register_layout
from .pages import pages, register_error_pages


def register_web(app: Flask) -> None:
    register_layout(app)
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    register_error_pages(app)
