"""Admins' pages, under /admin/: accounts and the audit log (read, and downloaded as CSV).

Everyone else gets 403; anonymous people are sent to sign in first (`auth.signed_in_as`).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from .. import audit
from ..db import get_database, get_session
from ..models import Role, User
from .auth import signed_in_as

pages = Blueprint("admin", __name__)
PAGE_SIZE = 100


@pages.get("/")
@signed_in_as(Role.ADMIN)
def index():
    users = get_session().scalars(select(User).where(User.role != Role.SYSTEM).order_by(User.email)).all()
    return render_template("admin/index.html", users=users, role_labels=Role.LABELS)


@pages.get("/audit")
@signed_in_as(Role.ADMIN)
def audit_log():
    before = request.args.get("before", type=int)
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
