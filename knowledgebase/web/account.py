"""Signing in and out, two-factor codes, and setting a password from a one-time link.

Thin views over `accounts`: they read the form, call it, record the outcome in the audit log and
re-show the form with the person's input and a GOV.UK error summary when something is wrong.
Every wrong email or password gets the same message, so the form does not tell which accounts exist.
"""

from __future__ import annotations

import datetime as dt

import segno
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from .. import accounts, audit
from ..db import get_session
from ..models import User
from .auth import SIGN_IN_LIMIT, SignedIn, account, client_address, clock, safe_next

pages = Blueprint("account", __name__)

#: How long after the password step the code must be given.
PENDING_MINUTES = 10
WRONG = "Enter a correct email address and password"


def _record(action: str, *, actor: User | None = None, target: str | None = None, detail: str | None = None):
    audit.record(
        get_session(), action, actor=actor, target=target, detail=detail, address=client_address(), at=clock()
    )


def _form(template: str, errors: dict[str, str], status: int = 200, **values):
    """Re-show a form with an error summary; `errors` maps field names (the anchors) to messages."""
    return render_template(template, errors=errors, **values), (400 if errors else status)


@pages.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = safe_next(request.values.get("next"))
    if account() is not None:
        return redirect(next_url or url_for("publish.index"))
    if request.method == "GET":
        return _form("account/sign-in.html", {}, next=next_url, email="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return _form("account/sign-in.html", errors, next=next_url, email=email)
    db = get_session()
    outcome = accounts.check_password(db, email, password, clock())
    if not outcome.ok:
        target = accounts.normalise_email(email)[:320]
        _record(
            "sign_in_throttled" if outcome.reason == "throttled" else "sign_in_failed",
            actor=None,
            target=target,
            detail=outcome.reason,
        )
        db.commit()
        throttled = outcome.throttled or (outcome.reason == "no such account" and _guessed_too_often(target))
        message = (
            f"Too many failed attempts. Try again in {accounts.LOCK_MINUTES} minutes, or ask an admin "
            "to reset your password"
            if throttled
            else WRONG
        )
        return _form("account/sign-in.html", {"email": message}, next=next_url, email=email)
    user = outcome.user
    db.commit()
    if accounts.needs_two_factor(user):
        session.pop("kb_totp_secret", None)  # a secret offered to someone else in this browser
        session["kb_pending"] = {
            "token": accounts.session_token(user),
            "next": next_url,
            "at": clock().isoformat(),
        }
        return redirect(url_for("account.two_factor" if user.totp_secret else "account.set_up_two_factor"))
    return _complete(user, next_url)


def _guessed_too_often(target: str) -> bool:
    """Whether an address with no account has been tried as often as locks a real account, so the
    answer is the same whether or not the account exists."""
    since = clock() - dt.timedelta(minutes=accounts.LOCK_MINUTES)
    tries = audit.count_since(get_session(), ("sign_in_failed", "sign_in_throttled"), target, since)
    return tries >= accounts.MAX_FAILURES


def _complete(user: User, next_url: str | None):
    """Every step passed: start a fresh session for the account."""
    db = get_session()
    accounts.signed_in(user, clock())
    _record("sign_in", actor=user, target=user.email)
    db.commit()
    session.clear()  # nothing from before signing in carries over (session fixation)
    login_user(SignedIn(user))
    session.permanent = True
    return redirect(next_url or url_for("publish.index"))


def _pending() -> tuple[User | None, str | None]:
    """The account that passed the password step in this browser in the last few minutes."""
    pending = session.get("kb_pending") or {}
    try:
        started = dt.datetime.fromisoformat(pending.get("at", ""))
    except (TypeError, ValueError):
        return None, None
    if clock() - started > dt.timedelta(minutes=PENDING_MINUTES):
        return None, None
    user = accounts.from_session_token(get_session(), pending.get("token", ""))
    return user, pending.get("next")


@pages.route("/sign-in/two-factor", methods=["GET", "POST"])
def two_factor():
    user, next_url = _pending()
    if user is None or not user.totp_secret:
        return redirect(url_for("account.sign_in"))
    if request.method == "GET":
        return _form("account/two-factor.html", {})
    db = get_session()
    if accounts.throttled(user, clock()):
        return _form(
            "account/two-factor.html",
            {"code": f"Too many failed attempts. Try again in {accounts.LOCK_MINUTES} minutes"},
        )
    if not accounts.check_totp(user, request.form.get("code", ""), now=clock()):
        accounts.record_failure(db, user, clock())
        _record("two_factor_failed", actor=user, target=user.email)
        db.commit()
        return _form(
            "account/two-factor.html", {"code": "Enter the 6-digit code your authenticator app shows now"}
        )
    session.pop("kb_pending", None)
    return _complete(user, next_url)


@pages.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
def set_up_two_factor():
    user, next_url = _pending()
    if user is None or user.totp_secret:
        return redirect(url_for("account.sign_in"))
    offered = session.get("kb_totp_secret") or {}
    secret = offered.get("secret") if offered.get("user") == user.id else None
    secret = secret or accounts.new_totp_secret()
    session["kb_totp_secret"] = {"user": user.id, "secret": secret}
    uri = accounts.totp_uri(user, secret)
    picture = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#0b0c0c", light="#ffffff", border=2)
    shown = {"secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), "qr": picture}
    if request.method == "GET":
        return _form("account/set-up-two-factor.html", {}, **shown)
    db = get_session()
    if not accounts.enable_totp(user, secret, request.form.get("code", ""), now=clock()):
        return _form(
            "account/set-up-two-factor.html",
            {"code": "Enter the 6-digit code your authenticator app shows for this service"},
            **shown,
        )
    _record("two_factor_enabled", actor=user, target=user.email)
    db.commit()
    session.pop("kb_pending", None)
    session.pop("kb_totp_secret", None)
    return _complete(user, next_url)


@pages.post("/sign-out")
def sign_out():
    user = account()
    if user is not None:
        # Ends the account's sessions on every device, so a copy of this cookie is useless too.
        accounts.end_sessions(user)
        _record("sign_out", actor=user, target=user.email)
        get_session().commit()
    logout_user()
    session.clear()
    return redirect(url_for("account.sign_in", signed_out=1))


@pages.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    db = get_session()
    link = accounts.find_link(db, token, clock())
    if link is None:
        return render_template("account/link-expired.html"), 410
    if request.method == "GET":
        return _form("account/set-password.html", {}, email=link.user.email)
    password = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    errors = {}
    problems = accounts.password_problems(password, email=link.user.email, name=link.user.name)
    if problems:
        errors["password"] = problems[0]
    elif password != confirm:
        errors["confirm"] = "Enter the same password twice"
    if errors:
        return _form("account/set-password.html", errors, email=link.user.email)
    user = accounts.use_link(link, password, clock())
    _record("password_set", actor=user, target=user.email, detail=link.purpose)
    db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("account.sign_in", password_set=1))


def init_app(app) -> None:
    app.register_blueprint(pages)
    limiter = app.extensions["kb.limiter"]
    limiter.limit(SIGN_IN_LIMIT, methods=["POST"], scope="sign-in")(pages)
