"""Publishing through the site: the states a deliverable goes through, the moves between them
(declared once, in `TRANSITIONS`), who may make each, and the revisions every save leaves.

A deliverable has two states:

- its public `status` (`models.Status`): draft (never published: public addresses answer 404),
  published, withdrawn (page kept with a notice, out of search), unpublished (published in error:
  410 with the reason, or a redirect to a replacement);
- the state of its open draft, the next version (`models.DraftState`), or None when there is none:
  draft → submitted → published; submitted → changes requested (with a comment) → draft (by saving).

Every save is a `Revision` holding the whole source (front matter and Markdown) and is validated
exactly as `kb check` validates files (`content.parse_text`): a revision is always a valid
deliverable, so whatever is reviewed can be published. While a published deliverable has an open
draft, the public keeps seeing the published version: the deliverable's columns change only when
a revision is published. An editor cannot publish a draft they wrote any revision of.

Functions take the SQLAlchemy session and the acting `User`, record what they did in the audit log
in the same transaction, and leave committing (and bringing the search index up to date: see
`ingest.sync`) to the caller. Refusals are exceptions whose message is written for a person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, personal_data
from .content import RESERVED_SLUGS, ContentError, DeliverableData, parse_text
from .ingest import Withdrawal, apply, same_source
from .models import (
    Deliverable,
    DeliverableProvider,
    DraftState,
    ReviewComment,
    Revision,
    Role,
    Status,
    User,
    utcnow,
)
from .vocab import Vocabularies

#: How a revision came to be.
WEB, FILE, RESTORE = "web", "file", "restore"
#: What validation errors name the source as (the form's fields are named by key).
SHOWN = "the deliverable"
_ANY_DRAFT = frozenset({None, DraftState.DRAFT, DraftState.SUBMITTED, DraftState.CHANGES_REQUESTED})


class Refused(ValueError):
    """The move is not possible now (or not for this person); the message says why."""


class NotVisible(Refused):
    """The person may not see this deliverable at all: pages answer 404, as if it did not exist."""


class EditConflict(Refused):
    """Someone saved a newer revision since the person started; nothing of theirs was saved."""

    def __init__(self, message: str, latest: Revision):
        super().__init__(message)
        self.latest = latest


class Invalid(Refused):
    """The text is not a valid deliverable: `errors` are `kb check`'s, by key."""

    def __init__(self, errors: list[ContentError]):
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} to fix")
        self.errors = errors


@dataclass(frozen=True)
class Transition:
    """One move: what it is called, the least role that may make it, and the states it starts from."""

    name: str
    label: str
    role: str
    statuses: frozenset
    draft_states: frozenset
    #: What it does, for the next engineer and for pages. (Every move is also limited to the
    #: deliverables a person may see: advisors, their providers'; editors and admins, all.)
    description: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "save",
            "Save",
            Role.ADVISOR,
            frozenset({Status.DRAFT, Status.PUBLISHED}),
            _ANY_DRAFT,
            "Saves a new revision as the draft. Editing a published deliverable opens a draft while the "
            "public keeps the published version; saving a submitted draft takes it back to draft.",
        ),
        Transition(
            "submit",
            "Submit for review",
            Role.ADVISOR,
            frozenset({Status.DRAFT, Status.PUBLISHED}),
            frozenset({DraftState.DRAFT}),
            "Asks an editor to review the draft.",
        ),
        Transition(
            "request_changes",
            "Request changes",
            Role.EDITOR,
            frozenset({Status.DRAFT, Status.PUBLISHED}),
            frozenset({DraftState.SUBMITTED}),
            "Sends the draft back with a comment; saving it again makes it a draft.",
        ),
        Transition(
            "publish",
            "Publish",
            Role.EDITOR,
            frozenset({Status.DRAFT, Status.PUBLISHED}),
            frozenset({DraftState.SUBMITTED}),
            "Makes the submitted draft what the public sees. Not by anyone who wrote any of its revisions.",
        ),
        Transition(
            "withdraw",
            "Withdraw",
            Role.EDITOR,
            frozenset({Status.PUBLISHED, Status.WITHDRAWN}),
            _ANY_DRAFT,
            "Takes it out of search, feeds and the sitemap; its page stays with the date and a public "
            "reason. On a withdrawn deliverable, corrects the reason.",
        ),
        Transition(
            "unpublish",
            "Unpublish",
            Role.ADMIN,
            frozenset({Status.PUBLISHED, Status.WITHDRAWN}),
            _ANY_DRAFT,
            "For something published in error: its address answers 410 with the reason, or redirects "
            "to the deliverable that replaces it.",
        ),
        Transition(
            "restore",
            "Restore as a new draft",
            Role.EDITOR,
            frozenset({Status.DRAFT, Status.PUBLISHED}),
            _ANY_DRAFT,
            "Saves an old revision's text as a new draft revision (nothing is overwritten).",
        ),
    )
}

STATUS_LABELS = {
    Status.DRAFT: "Not published",
    Status.PUBLISHED: "Published",
    Status.WITHDRAWN: "Withdrawn",
    Status.UNPUBLISHED: "Unpublished",
}
DRAFT_LABELS = {
    None: "No draft",
    DraftState.DRAFT: "Draft",
    DraftState.SUBMITTED: "Submitted for review",
    DraftState.CHANGES_REQUESTED: "Changes requested",
}


def describe(row: Deliverable) -> str:
    """The deliverable's state in words, for messages."""
    return f"{STATUS_LABELS[row.status].lower()}, {DRAFT_LABELS[row.draft_state].lower()}"


# Who may see and do what ---------------------------------------------------------------------------


def _folded(names) -> set[str]:
    return {" ".join(name.split()).lower() for name in names}


def owns(user: User, providers) -> bool:
    """Whether an advisor works for one of the providers named (editors and admins own everything)."""
    return user.at_least(Role.EDITOR) or bool(_folded(user.providers) & _folded(providers))


def can_see(user: User, row: Deliverable) -> bool:
    return user.role != Role.SYSTEM and owns(user, row.provider)


def check(user: User, row: Deliverable | None, name: str) -> Transition:
    """The transition, if `user` may make it on `row` now; `Refused` (or `NotVisible`) otherwise."""
    transition = TRANSITIONS[name]
    if user.role != Role.SYSTEM:
        if row is not None and not can_see(user, row):
            raise NotVisible("there is no such deliverable")
        if not user.at_least(transition.role):
            raise Refused(
                f"{transition.label}: only {Role.LABELS[transition.role].lower()}s and above may do this"
            )
    if row is not None and (
        row.status not in transition.statuses or row.draft_state not in transition.draft_states
    ):
        raise Refused(f"{transition.label} is not possible now: the deliverable is {describe(row)}")
    return transition


def available(user: User, row: Deliverable) -> list[Transition]:
    """The moves `user` may make on `row` now, in the order pages offer them."""
    found = []
    for name in TRANSITIONS:
        try:
            found.append(check(user, row, name))
        except Refused:
            continue
    return found


# Reading ---------------------------------------------------------------------------------------------


def latest_revision(session: Session, row: Deliverable) -> Revision | None:
    return session.scalar(
        select(Revision).where(Revision.deliverable_id == row.id).order_by(Revision.number.desc()).limit(1)
    )


def published_revision(session: Session, row: Deliverable) -> Revision | None:
    return session.scalar(
        select(Revision)
        .where(Revision.deliverable_id == row.id, Revision.published_at.is_not(None))
        .order_by(Revision.number.desc())
        .limit(1)
    )


def revisions(session: Session, row: Deliverable) -> list[Revision]:
    """Every revision, newest first (for the people working on it)."""
    return list(
        session.scalars(
            select(Revision).where(Revision.deliverable_id == row.id).order_by(Revision.number.desc())
        )
    )


def revision(session: Session, row: Deliverable, number: int) -> Revision | None:
    return session.scalar(
        select(Revision).where(Revision.deliverable_id == row.id, Revision.number == number)
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a page's public history: when the change was published, and its note."""

    date: dt.datetime
    note: str


def public_history(session: Session, row: Deliverable) -> list[HistoryEntry]:
    """The page's public history, newest first: the public change note of every revision that has
    been published, dated when it was published (a note on a draft revision counts from the
    publish that included it, even if later revisions of the same draft changed other things)."""
    rows = session.execute(
        select(Revision.change_note, Revision.public_note, Revision.published_at)
        .where(Revision.deliverable_id == row.id)
        .order_by(Revision.number.desc())
    ).all()
    entries, published_at = [], None
    for note, public, when in rows:  # newest first: the next publish is already known
        published_at = when or published_at
        if public and note and published_at is not None:
            entries.append(HistoryEntry(published_at, note))
    return entries


def draft_revisions(session: Session, row: Deliverable) -> list[Revision]:
    """The open draft's revisions (those after the last published one), newest first."""
    published = published_revision(session, row)
    since = published.number if published else 0
    return [revision for revision in revisions(session, row) if revision.number > since]


def draft_authors(session: Session, row: Deliverable) -> set[int]:
    """Everyone who wrote a revision of the open draft (since the last published revision)."""
    return {revision.author_id for revision in draft_revisions(session, row)} - {None}


def comments(session: Session, row: Deliverable) -> list[ReviewComment]:
    return list(
        session.scalars(
            select(ReviewComment)
            .where(ReviewComment.deliverable_id == row.id)
            .order_by(ReviewComment.id.desc())
        )
    )


def find(session: Session, user: User, slug: str) -> Deliverable:
    """The deliverable `user` may see, or `NotVisible` (whether or not it exists)."""
    row = session.scalar(select(Deliverable).where(Deliverable.slug == slug))
    if row is None or not can_see(user, row):
        raise NotVisible("there is no such deliverable")
    return row


def visible(session: Session, user: User) -> list[Deliverable]:
    """The deliverables `user` works on (their providers', or all for editors), latest change first."""
    query = select(Deliverable).order_by(Deliverable.updated_at.desc(), Deliverable.id.desc())
    if user.role == Role.SYSTEM:
        return []
    if not user.at_least(Role.EDITOR):
        # Filtered in SQL, not by loading every deliverable. The few distinct provider names are
        # folded here, as `owns` folds them (SQLite's lower() folds only ASCII letters).
        wanted = _folded(user.providers)
        names = [
            name
            for name in session.scalars(select(DeliverableProvider.value).distinct())
            if _folded([name]) <= wanted
        ]
        mine = select(DeliverableProvider.deliverable_id).where(DeliverableProvider.value.in_(names))
        query = query.where(Deliverable.id.in_(mine))
    return list(session.scalars(query))


def validate(text: str, vocabularies: Vocabularies, *, slug: str | None) -> DeliverableData:
    """The text as a valid deliverable, or `Invalid` with `kb check`'s errors. `slug`: the existing
    deliverable's, which the text may not change; None for a new one (slug from the title unless given)."""
    result = parse_text(text, SHOWN, vocabularies, default_slug=slug or _PLACEHOLDER)
    if not result.ok:
        raise Invalid(result.errors)
    data = result.deliverable
    if slug is not None and data.slug != slug:
        raise Invalid(
            [
                ContentError(
                    SHOWN,
                    "slug",
                    f"is {slug!r} and cannot change once made; remove the slug line or set it back",
                )
            ]
        )
    if data.slug == _PLACEHOLDER:
        data = replace(data, slug=slugify(data.title))
    return data


_PLACEHOLDER = "slug-from-title"


def slugify(title: str) -> str:
    """A slug from a title: lower-case words joined by hyphens, at most 80 characters."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 80:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or "deliverable"
    return f"{slug}-deliverable" if slug in RESERVED_SLUGS else slug


# Moves ---------------------------------------------------------------------------------------------


def save(
    session: Session,
    user: User,
    text: str,
    *,
    vocabularies: Vocabularies,
    row: Deliverable | None = None,
    based_on: int | None = None,
    change_note: str = "",
    public_note: bool = False,
    origin: str = WEB,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Deliverable, Revision, bool]:
    """Save `text` as the latest draft revision of `row` (None: a new deliverable).

    `based_on` is the number of the latest revision when the person began editing: if someone has
    saved since, `EditConflict` refuses the save. Returns (deliverable, revision, created): saving
    the same text again creates no revision."""
    now = now or utcnow()
    check(user, row, "restore" if origin == RESTORE else "save")
    data = validate(text, vocabularies, slug=row.slug if row is not None else None)
    if user.role == Role.ADVISOR and not owns(user, data.provider):
        raise Invalid(
            [
                ContentError(
                    SHOWN,
                    "provider",
                    f"must include a provider you work for ({', '.join(user.providers)}), "
                    "or you could no longer see this deliverable",
                )
            ]
        )
    if row is None:
        if session.scalar(select(Deliverable.id).where(Deliverable.slug == data.slug)) is not None:
            raise Invalid(
                [
                    ContentError(
                        SHOWN, "slug", f"{data.slug!r} is already taken; give this deliverable its own slug"
                    )
                ]
            )
        row = Deliverable(slug=data.slug, status=Status.DRAFT, source_path="")
        apply(row, replace(data, source_path=""))
        session.add(row)
        session.flush()
        latest = None
    else:
        latest = latest_revision(session, row)
        if (latest.number if latest else None) != based_on:
            raise EditConflict(
                f"{latest.author.name or latest.author.email if latest and latest.author else 'Someone'} "
                "saved a newer version while you were editing; your changes were not saved",
                latest,
            )
        if latest is not None and same_source(latest.markdown, text) and row.draft_state is not None:
            return row, latest, False
        if row.status == Status.DRAFT:  # never published: the columns follow the draft
            apply(row, replace(data, source_path=row.source_path))
    revision_ = Revision(
        deliverable_id=row.id,
        number=(latest.number if latest else 0) + 1,
        markdown=text,
        author_id=user.id,
        origin=origin,
        change_note=change_note.strip() or None,
        public_note=bool(public_note and change_note.strip()),
        created_at=now,
    )
    session.add(revision_)
    row.draft_state = DraftState.DRAFT
    row.updated_at = now
    action = "create" if latest is None else ("restore" if origin == RESTORE else "save")
    audit.record(
        session, action, actor=user, target=row.slug, detail=f"revision {revision_.number}", address=address
    )
    try:
        session.flush()
    except IntegrityError as error:  # someone saved the same revision number a moment before
        session.rollback()
        raise EditConflict(
            "someone saved a newer version while you were editing; your changes were not saved",
            latest_revision(session, row),
        ) from error
    return row, revision_, True


def restore(
    session: Session,
    user: User,
    row: Deliverable,
    number: int,
    *,
    based_on: int | None,
    vocabularies: Vocabularies,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Revision:
    """Bring an old revision back as a new draft revision."""
    old = revision(session, row, number)
    if old is None:
        raise Refused(f"there is no revision {number}")
    _, new, _ = save(
        session,
        user,
        old.markdown,
        vocabularies=vocabularies,
        row=row,
        based_on=based_on,
        change_note=f"Restored revision {number}",
        origin=RESTORE,
        address=address,
        now=now,
    )
    return new


def submit(session: Session, user: User, row: Deliverable, *, address: str | None = None) -> None:
    check(user, row, "submit")
    row.draft_state = DraftState.SUBMITTED
    audit.record(session, "submit", actor=user, target=row.slug, address=address)


def request_changes(
    session: Session,
    user: User,
    row: Deliverable,
    comment: str,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewComment:
    check(user, row, "request_changes")
    comment = comment.strip()
    if not comment:
        raise Refused("say what needs to change: the advisor sees your comment")
    latest = latest_revision(session, row)
    note = ReviewComment(
        deliverable_id=row.id,
        revision_id=latest.id if latest else None,
        author_id=user.id,
        body=comment,
        created_at=now or utcnow(),
    )
    session.add(note)
    row.draft_state = DraftState.CHANGES_REQUESTED
    audit.record(session, "request_changes", actor=user, target=row.slug, address=address)
    return note


def personal_data_findings(session: Session, row: Deliverable) -> list[personal_data.Finding]:
    """Likely personal data in what publishing the open draft would make public: the latest
    revision's source and the draft's public change notes. Each is a warning an editor must tick
    as checked before publishing."""
    latest = latest_revision(session, row)
    if latest is None:
        return []
    found = personal_data.scan(latest.markdown)
    for revision in draft_revisions(session, row):
        if revision.public_note and revision.change_note:
            found += [
                replace(
                    finding,
                    message=f"In the public change note of revision {revision.number}: {finding.message}",
                )
                for finding in personal_data.scan(revision.change_note)
            ]
    return found


def publish(
    session: Session,
    user: User,
    row: Deliverable,
    *,
    reviewed: int,
    vocabularies: Vocabularies,
    checked: Collection[int] = (),
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Revision:
    """Publish the submitted draft. `reviewed` is the revision number the editor reviewed: if a newer
    one was saved since, `EditConflict`. Anyone who wrote a revision of the draft is refused.
    `checked`: the numbers (1, 2, ...) of the `personal_data_findings` the editor ticked; every one
    must be."""
    now = now or utcnow()
    check(user, row, "publish")
    latest = latest_revision(session, row)
    if latest is None or latest.number != reviewed:
        raise EditConflict("a newer revision was saved after the one you reviewed; review it first", latest)
    if user.role != Role.SYSTEM and user.id in draft_authors(session, row):
        raise Refused("you wrote part of this draft, so another editor must review and publish it")
    data = validate(latest.markdown, vocabularies, slug=row.slug)
    findings = personal_data_findings(session, row)
    if not set(range(1, len(findings) + 1)) <= set(checked):
        raise Refused("confirm that you checked each possible piece of personal data before publishing")
    _publish(row, latest, data, now)
    audit.record(
        session, "publish", actor=user, target=row.slug, detail=f"revision {latest.number}", address=address
    )
    return latest


def preview_row(row: Deliverable, data: DeliverableData, now: dt.datetime) -> Deliverable:
    """A copy of `row` as it will be once `data` is published, for the preview; never stored."""
    shown = Deliverable(
        slug=row.slug,
        status=Status.PUBLISHED,
        first_published_at=row.first_published_at if row.status != Status.DRAFT else now,
        last_changed_at=now,
    )
    apply(shown, replace(data, source_path=row.source_path))
    return shown


def _publish(row: Deliverable, latest: Revision, data: DeliverableData, now: dt.datetime) -> None:
    if row.status == Status.DRAFT:
        row.first_published_at = now
        row.last_changed_at = now
    apply(row, replace(data, source_path=row.source_path))
    row.status = Status.PUBLISHED
    row.draft_state = None
    latest.published_at = now


def withdraw(
    session: Session,
    user: User,
    row: Deliverable,
    reason: str,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Withdraw, GOV.UK's way (see `ingest.withdraw`); on a withdrawn one, correct the reason."""
    check(user, row, "withdraw")
    reason = reason.strip()
    if not reason:
        raise Refused("a withdrawal needs a reason: one or two sentences that readers will see")
    if row.status == Status.WITHDRAWN:
        outcome = Withdrawal.REASON_UPDATED
    else:
        outcome = Withdrawal.WITHDRAWN
        row.status = Status.WITHDRAWN
        row.withdrawn_at = now or utcnow()
        # An open draft cannot be published any more; its revisions stay in the history.
        row.draft_state = None
    row.withdrawn_reason = reason
    audit.record(session, "withdraw", actor=user, target=row.slug, detail=reason, address=address)
    return outcome


def unpublish(
    session: Session,
    user: User,
    row: Deliverable,
    *,
    reason: str = "",
    replaced_by: str = "",
    address: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Unpublish something published in error: 410 with the reason, or a redirect to its replacement."""
    check(user, row, "unpublish")
    reason, replaced_by = reason.strip(), replaced_by.strip()
    if not reason and not replaced_by:
        raise Refused("give a reason readers will see, or the slug of the deliverable that replaces it")
    if replaced_by:
        target = session.scalar(select(Deliverable).where(Deliverable.slug == replaced_by))
        if target is None or target.status != Status.PUBLISHED or target.id == row.id:
            raise Refused(f"{replaced_by!r} is not another published deliverable")
    row.status = Status.UNPUBLISHED
    row.unpublished_at = now or utcnow()
    row.draft_state = None
    row.unpublished_reason = reason or None
    row.replaced_by = replaced_by or None
    audit.record(
        session,
        "unpublish",
        actor=user,
        target=row.slug,
        detail=reason + (f" (replaced by {replaced_by})" if replaced_by else ""),
        address=address,
    )
