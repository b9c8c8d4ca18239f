"""The web face of the knowledge base, by audience: public pages, discovery (feeds, sitemap),
researchers' pages (`research`: evidence map, statistics, glossary), the JSON API, the downloads
(CSV, JSON Lines, the open-data archive), signing in (`account`, guarded by `auth`), advisors' and
editors' pages under /publish/, admins' under /admin/, and the error answers; the GOV.UK layout and
security headers on all of them.

Views use `catalogue` and the search seam, never an engine."""

from __future__ import annotations

from flask import Flask

from . import account, admin, auth, downloads, errors, http_cache, publish, research, security
from .api import api
from .api_docs import api_docs
from .api_v1 import api_v1, twins
from .discovery import discovery
from .layout import register_layout
from .limits import limit_api
from .public import public


def register_web(app: Flask) -> None:
    register_layout(app)
    security.init_app(app)
    auth.init_app(app)
    account.init_app(app)
    app.register_blueprint(publish.pages, url_prefix="/publish")
    app.register_blueprint(admin.pages, url_prefix="/admin")
    app.register_blueprint(public)
    research.init_app(app)
    app.register_blueprint(discovery)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(api_v1, url_prefix="/api/v1")
    app.register_blueprint(twins)
    app.register_blueprint(api_docs)
    for blueprint in (api, api_v1, twins):
        limit_api(app, blueprint)
    downloads.init_app(app)
    http_cache.init_app(app)
    errors.init_app(app)
