"""Admins' pages, under /admin/: accounts (invite, change role and providers, deactivate or
reactivate, reset a password or two-factor sign-in) and the audit log (read, and as CSV).

Everyone else gets 403; anonymous people are sent to sign in first (`auth.signed_in_as`). There
is no email here: an invitation or reset shows its one-time link once, for the admin to send.
An admin cannot change their own role or deactivate themselves (another admin must), so the
service cannot be left without one by mistake.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from .. import accounts, audit, catalogue
from ..db import get_database, get_session
from ..models import LinkPurpose, Role, User
from .auth import account, client_address, clock, record_number, signed_in_as
from .urls import public_url

pages = Blueprint("admin", __name__)
PAGE_SIZE = 100


def _record(action: str, user: User, detail: str | None = None) -> None:
    audit.record(
        get_session(), action, actor=account(), target=user.email, detail=detail, address=client_address()
    )


def _providers(text: str) -> list[str]:
    return accounts.tidy_providers(text.splitlines(), catalogue.vocabularies().providers.canonical)


def _link(user: User, purpose: str) -> tuple[str, dt.datetime]:
    """A new one-time set-password link for `user`, and when it stops working."""
    now = clock()
    token = accounts.issue_link(get_session(), user, purpose, now=now)
    return public_url(url_for("account.set_password", token=token)), accounts.link_expiry(purpose, now)


def _users() -> list[User]:
    return list(get_session().scalars(select(User).where(User.role != Role.SYSTEM).order_by(User.email)))


@pages.get("/")
@signed_in_as(Role.ADMIN)
def index():
    return _index({}, {"email": "", "name": "", "role": Role.ADVISOR, "providers": ""})


def _index(errors: dict, values: dict, status: int = 200):
    return render_template(
        "admin/index.html", users=_users(), role_labels=Role.LABELS, errors=errors, values=values
    ), (400 if errors else status)


@pages.post("/invite")
@signed_in_as(Role.ADMIN)
def invite():
    form = request.form
    values = {
        "email": form.get("email", "").strip(),
        "name": form.get("name", "").strip(),
        "role": form.get("role", ""),
        "providers": form.get("providers", ""),
    }
    db = get_session()
    try:
        user = accounts.create_user(
            db,
            values["email"],
            role=values["role"],
            name=values["name"],
            providers=_providers(values["providers"]),
        )
    except accounts.AccountError as error:
        db.rollback()
        message = str(error)
        field = "providers" if "provider" in message else ("role" if "role" in message else "email")
        return _index({field: message[0].upper() + message[1:]}, values)
    _record("user_created", user, f"role {user.role}")
    link, expires = _link(user, LinkPurpose.INVITE)
    _record("user_invited", user, f"link valid {accounts.INVITE_DAYS} days")
    db.commit()
    return render_template("admin/link.html", user=user, link=link, expires=expires, purpose="invitation")


@pages.get("/users/<int(max=2147483647):user_id>")
@signed_in_as(Role.ADMIN)
def user(user_id):
    return _user_page(_user(user_id), {})


def _user(user_id: int) -> User:
    found = get_session().get(User, user_id)
    if found is None or found.role == Role.SYSTEM:
        abort(404)
    return found


def _user_page(user: User, errors: dict, status: int = 200):
    return render_template(
        "admin/user.html", user=user, role_labels=Role.LABELS, errors=errors, myself=user.id == account().id
    ), (400 if errors else status)


@pages.post("/users/<int(max=2147483647):user_id>/<action>")
@signed_in_as(Role.ADMIN)
def change(user_id, action):
    user = _user(user_id)
    db = get_session()
    if user.id == account().id and action in ("role", "deactivate"):
        return _user_page(user, {action: "Another admin must change your own role or deactivate you"})
    if action == "role":
        before = (user.role, user.providers)
        try:
            accounts.change_role(
                user, request.form.get("role", ""), _providers(request.form.get("providers", ""))
            )
        except accounts.AccountError as error:
            db.rollback()
            return _user_page(_user(user_id), {"role": str(error)[0].upper() + str(error)[1:]})
        if user.role != before[0]:
            _record("role_changed", user, f"{before[0]} to {user.role}")
        if set(user.providers) != set(before[1]):
            _record("providers_changed", user, ", ".join(user.providers))
        message = "Saved. If the role changed, their sessions have ended."
    elif action == "deactivate":
        accounts.deactivate(user)
        _record("deactivated", user)
        message = f"{user.email} is deactivated and signed out everywhere."
    elif action == "reactivate":
        user.active = True
        accounts.end_sessions(user)
        _record("reactivated", user)
        message = f"{user.email} can sign in again."
    elif action == "reset-two-factor":
        user.totp_secret = None
        user.totp_last_step = None
        accounts.end_sessions(user)
        _record("two_factor_reset", user)
        message = "Two-factor sign-in is reset: they set it up again when they next sign in."
    elif action == "reset-password":
        if not user.active:
            return _user_page(user, {"deactivate": "Reactivate the account first: its links would not work"})
        purpose = LinkPurpose.RESET if user.password_hash else LinkPurpose.INVITE
        link, expires = _link(user, purpose)
        _record("password_reset_issued" if purpose == LinkPurpose.RESET else "user_invited", user)
        db.commit()
        return render_template(
            "admin/link.html",
            user=user,
            link=link,
            expires=expires,
            purpose="password reset" if purpose == LinkPurpose.RESET else "invitation",
        )
    else:
        abort(404)
    db.commit()
    flash(message)
    return redirect(url_for("admin.user", user_id=user.id))


@pages.get("/audit")
@signed_in_as(Role.ADMIN)
def audit_log():
    before = record_number(request.args.get("before"))
    events = audit.events(get_session(), before_id=before, limit=PAGE_SIZE)
    older = url_for("admin.audit_log", before=events[-1].id) if len(events) == PAGE_SIZE else None
    return render_template("admin/audit.html", events=events, labels=audit.ACTIONS, older=older)


@pages.get("/audit.csv")
@signed_in_as(Role.ADMIN)
def audit_csv():
    database = get_database()

    def lines():
        # Its own session: the request's closes when the view returns, before the stream ends.
        with database.session() as session:
            yield from audit.csv_lines(audit.all_events(session))

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename="audit-log.csv")
    return response
