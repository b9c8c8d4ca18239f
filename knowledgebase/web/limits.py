"""Rate limits for machines: the JSON API and the downloads (CSV, JSON Lines, the evidence map's
CSV), per client address, counted by the same Flask-Limiter as sign-in (`auth.init_app`), so
`KB_RATELIMIT_STORAGE_URL` shares the counts between workers.

Each is a setting in Flask-Limiter's notation ("300 per minute;5000 per hour"); a client past it
gets 429 with Retry-After, as JSON under /api/ and as a page elsewhere.
"""

from __future__ import annotations

from flask import Flask, current_app

#: Reading the API: generous for a notebook paging through every result, not for a flood.
API_RATE_LIMIT = "300 per minute;5000 per hour"
#: Downloads each stream up to the whole collection, so fewer are allowed.
EXPORT_RATE_LIMIT = "30 per minute;300 per hour"


def configure_defaults(app: Flask) -> None:
    app.config.setdefault("API_RATE_LIMIT", API_RATE_LIMIT)
    app.config.setdefault("EXPORT_RATE_LIMIT", EXPORT_RATE_LIMIT)


def limit_api(target):
    """Apply the API's limit to a view or a blueprint (all its views count together)."""
    limiter = current_app.extensions["kb.limiter"]
    return limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(target)


def limit_exports(target):
    """Apply the downloads' limit to a view or a blueprint (all downloads count together)."""
    limiter = current_app.extensions["kb.limiter"]
    return limiter.shared_limit(lambda: current_app.config["EXPORT_RATE_LIMIT"], scope="exports")(target)
