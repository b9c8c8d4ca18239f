"""Rate limits for machines: the JSON API and the downloads (CSV, JSON Lines, the evidence map's
CSV), per client address, counted by the same Flask-Limiter as sign-in (`auth.init_app`), so
`KB_RATELIMIT_STORAGE_URL` shares the counts between workers.

Each is a setting in Flask-Limiter's notation ("300 per minute;5000 per hour"); a client past it
gets 429 with Retry-After, as JSON under /api/ and as a page elsewhere.
"""

from __future__ import annotations

from flask import Flask, current_app


def limit_api(app: Flask, target):
    """Apply the API's limit (`KB_API_RATE_LIMIT`) to a view or a blueprint; every view it is
    applied to counts together."""
    limiter = app.extensions["kb.limiter"]
    return limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(target)


def limit_exports(app: Flask, target):
    """Apply the downloads' limit (`KB_EXPORT_RATE_LIMIT`) to a view or a blueprint; every view
    it is applied to counts together."""
    limiter = app.extensions["kb.limiter"]
    return limiter.shared_limit(lambda: current_app.config["EXPORT_RATE_LIMIT"], scope="exports")(target)
