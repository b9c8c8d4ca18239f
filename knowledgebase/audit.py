"""The audit log: who did what, when, from where. Append-only: events are added, never changed
(the model refuses updates and deletes). Admins read it at /admin/audit and download it as CSV.

`record` is called by `accounts`' callers and by `publishing` in the same transaction as the
change it records, so an action and its record commit or fail together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import tabular
from .models import AuditEvent, User, utcnow

#: Every action recorded, and how the log page names it.
ACTIONS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_in_throttled": "Sign-in refused (too many failures)",
    "sign_out": "Signed out",
    "two_factor_enabled": "Set up two-factor sign-in",
    "two_factor_failed": "Wrong two-factor code",
    "two_factor_reset": "Reset two-factor sign-in",
    "user_created": "Created an account",
    "user_invited": "Invited",
    "password_reset_issued": "Issued a password reset link",
    "password_set": "Set a password",
    "role_changed": "Changed role",
    "providers_changed": "Changed providers",
    "deactivated": "Deactivated an account",
    "reactivated": "Reactivated an account",
    "create": "Created a deliverable",
    "save": "Saved a revision",
    "submit": "Submitted for review",
    "request_changes": "Requested changes",
    "publish": "Published",
    "withdraw": "Withdrew",
    "unpublish": "Unpublished",
    "restore": "Restored an old revision",
    "ingest": "Changed by kb ingest",
}

CSV_COLUMNS = ("time_utc", "actor", "action", "target", "detail", "address")


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    target: str | None = None,
    detail: str | None = None,
    address: str | None = None,
    at=None,
) -> AuditEvent:
    """Add one event to the log (committed with the caller's transaction). `at`: now, unless given."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an audited action; add it to audit.ACTIONS")
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else None,
        action=action,
        target=target,
        detail=detail,
        address=address,
    )
    session.add(event)
    return event


def count_since(session: Session, actions: tuple[str, ...], target: str, since) -> int:
    """How many of these actions were recorded against `target` since a moment."""
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(actions), AuditEvent.target == target, AuditEvent.at >= since)
    )


def events(session: Session, *, before_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
    """The newest events first, a page at a time (`before_id`: the last id of the page before)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


def all_events(session: Session) -> Iterator[AuditEvent]:
    """Every event, oldest first, read in batches (the log only grows)."""
    yield from session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=500))


def csv_lines(items: Iterable[AuditEvent]) -> Iterator[str]:
    """The log as CSV text, one line at a time, so a long log streams."""
    return tabular.csv_lines(
        CSV_COLUMNS,
        (
            (
                event.at.isoformat(timespec="seconds"),
                event.actor,
                event.action,
                event.target,
                event.detail,
                event.address or "",
            )
            for event in items
        ),
    )
