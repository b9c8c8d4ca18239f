"""Advisors' and editors' pages, under /publish/ (behind sign-in; see `auth`).

Views call `publishing` (states, moves, who may see what) and never the search engine. This
first step lists the deliverables a person works on and the drafts waiting for review; the
authoring and review pages build on it.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import publishing
from ..db import get_session
from ..models import DraftState, Role
from .auth import account, signed_in_as

pages = Blueprint("publish", __name__)


@pages.get("/")
@signed_in_as(Role.ADVISOR)
def index():
    user = account()
    rows = publishing.visible(get_session(), user)
    waiting = (
        [row for row in rows if row.draft_state == DraftState.SUBMITTED] if user.at_least(Role.EDITOR) else []
    )
    return render_template(
        "publish/index.html",
        user=user,
        rows=rows,
        waiting=waiting,
        status_labels=publishing.STATUS_LABELS,
        draft_labels=publishing.DRAFT_LABELS,
    )
