"""Who is signed in, and the guards around everything that is not public.

- Sessions: Flask-Login over Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure when
  the site is served over https, 8 hours). A session names its account with the account's session
  version (`accounts.session_token`), so a new password, a new role or deactivation ends every
  session at once, on every server. No "remember me" cookie.
- CSRF: Flask-WTF checks a token on every POST, on every page (`csrf_token()` in forms).
- Throttling per client address: Flask-Limiter on the sign-in and set-password forms. Counts are
  kept in Redis when `KB_RATELIMIT_STORAGE_URL` is set (shared by every process and server), and
  in each process's memory otherwise (so with 4 gunicorn workers an address gets up to 4 times the
  limit). The per-account throttle is in the database (`accounts`).
- Guards: `signed_in_as(role)` sends anonymous people to sign in (and back afterwards), and
  answers 403 to people without the role. Object-level checks are `publishing`'s.

Pages behind sign-in are never cached or indexed (`no-store`, `noindex`).
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from .. import accounts
from ..db import get_session
from ..models import User, utcnow
from . import limits

#: Sign-in attempts per client address (POSTs to the sign-in, two-factor and set-password forms).
SIGN_IN_LIMIT = "10 per minute; 60 per hour"
#: Paths that are only for signed-in people (and the forms that sign them in): never cached, never indexed.
PRIVATE_PREFIXES = ("/publish", "/admin", "/sign-in", "/sign-out", "/set-password")

csrf = CSRFProtect()


class SignedIn(UserMixin):
    """Flask-Login's view of an account: `user` is the database row, loaded for this request."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return accounts.session_token(self.user)


def account() -> User | None:
    """The signed-in account, or None."""
    return current_user.user if current_user.is_authenticated else None


def clock():
    """Now, in UTC; tests replace `app.extensions["kb.clock"]` to move time without sleeping."""
    return current_app.extensions.get("kb.clock", utcnow)()


def client_address() -> str:
    """The client's address, as the proxies the site trusts report it (KB_PROXY_HOPS)."""
    return request.remote_addr or "unknown"


#: The largest number a database integer column holds: larger ids and revision numbers name nothing.
MAX_RECORD_NUMBER = 2**31 - 1


def record_number(value) -> int | None:
    """A positive id or revision number from a form or query string; None for anything else (text,
    zero, negative, or too large for the database, which would otherwise fail the request)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_RECORD_NUMBER else None


def safe_next(target: str | None) -> str | None:
    """A page on this site to go back to after signing in; None for anything else (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


def signed_in_as(role: str):
    """Guard a view: anonymous people go to sign in and come back; others need `role` (or above)."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = account()
            if user is None:
                return redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")))
            if not user.at_least(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _load(token: str):
    user = accounts.from_session_token(get_session(), token)
    return SignedIn(user) if user is not None else None


def _private_headers(response):
    if request.path.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.user_loader(_load)
    manager.session_protection = "basic"
    manager.init_app(app)
    csrf.init_app(app)
    # After-request functions run last registered first: this one must see the limiter's headers.
    app.after_request(limits.retry_after_only_when_refused)
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URL") or "memory://",
        headers_enabled=True,
        key_prefix="kb",
    )
    app.extensions["kb.limiter"] = limiter
    app.after_request(_private_headers)
    app.context_processor(_signed_in)


def _signed_in() -> dict:
    """`signed_in` in templates: the account, looked up only when the request carries a signed-in
    session, so readers' pages never touch (or set) a session cookie."""
    return {"signed_in": account() if "_user_id" in session else None}
