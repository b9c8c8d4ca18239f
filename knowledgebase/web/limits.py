"""Rate limits for machines: the JSON API and the downloads (CSV, JSON Lines, the evidence map's
CSV), per client address, counted by the same Flask-Limiter as sign-in (`auth.init_app`), so
`KB_RATELIMIT_STORAGE_URL` shares the counts between workers.

Each is a setting in Flask-Limiter's notation ("300 per minute;5000 per hour"); a client past it
gets 429 with Retry-After and a message saying which limit and how long to wait, as JSON under
/api/ and on the `.json` twins, as plain text on the CSV and JSON Lines downloads, and as a page
elsewhere (`errors`). Every answer carries the X-RateLimit-*
headers; Retry-After only a 429 (`retry_after_only_when_refused`). CORS preflights (OPTIONS) are
not counted: a browser sends one before a script's request, which is.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, request


def too_many_requests() -> str:
    """The message of a 429: the limit passed and how long until it allows another request."""
    limiter = current_app.extensions["kb.limiter"]
    current = limiter.current_limit
    if current is None:  # pragma: no cover - Flask-Limiter always has it when it refuses
        return "Too many requests from your address. Try again in a minute."
    wait = max(1, math.ceil(current.reset_at - time.time()))
    return (
        f"Too many requests from your address: the limit is {current.limit}. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )


def _preflight() -> bool:
    return request.method == "OPTIONS"


def retry_after_only_when_refused(response):
    """Flask-Limiter puts Retry-After on every answer it counts; it only means something on a 429.
    Registered before the limiter so that it runs after the limiter's own headers are added."""
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def _shared_limit(app: Flask, target, setting: str, scope: str):
    """Apply the limit in `setting` to a view or a blueprint; every view given the same scope
    counts together."""
    limiter = app.extensions["kb.limiter"]
    return limiter.shared_limit(
        lambda: current_app.config[setting],
        scope=scope,
        exempt_when=_preflight,
        error_message=too_many_requests,
    )(target)


def limit_api(app: Flask, target):
    """Apply the API's limit (`KB_API_RATE_LIMIT`)."""
    return _shared_limit(app, target, "API_RATE_LIMIT", "api")


def limit_exports(app: Flask, target):
    """Apply the downloads' limit (`KB_EXPORT_RATE_LIMIT`)."""
    return _shared_limit(app, target, "EXPORT_RATE_LIMIT", "exports")
