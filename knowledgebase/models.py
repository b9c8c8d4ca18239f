"""The record: deliverables and their metadata, stored with SQLAlchemy on SQLite or PostgreSQL.

Vocabulary values are stored as slugs (their labels live in vocabularies.yml). Many-valued metadata
(sectors, legal forms, providers, tags) is stored one row per value, so it can be filtered and
counted in SQL. A deliverable's columns hold what the public sees (for one never published, its
latest draft); every saved version is a `Revision`, and `publishing` moves deliverables between
states. Accounts (`User`), one-time set-password links (`SetPasswordLink`), reviewers' comments
(`ReviewComment`) and the append-only `AuditEvent` log live here too.

Every change to these classes needs a revision in `migrations/versions/` (see `migrate.py`);
a test fails when the models and the migrations disagree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Status:
    """Where a deliverable is in its public life; only published ones are searchable."""

    #: Never published: public addresses answer 404, as if it did not exist.
    DRAFT = "draft"
    PUBLISHED = "published"
    #: Out of search, feeds and the sitemap; the page stays with a notice (date and reason).
    WITHDRAWN = "withdrawn"
    #: Published in error: the page answers 410 with the reason, or redirects to a replacement.
    UNPUBLISHED = "unpublished"


class DraftState:
    """Where the open draft (the next version) of a deliverable is in review. None: no draft."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"


class Role:
    """What an account may do; each role may do everything the ones before it may."""

    ADVISOR = "advisor"
    EDITOR = "editor"
    ADMIN = "admin"
    #: The account `kb ingest` and other operators' commands act as; it cannot sign in.
    SYSTEM = "system"

    ASSIGNABLE = (ADVISOR, EDITOR, ADMIN)
    LABELS = {ADVISOR: "Advisor", EDITOR: "Editor", ADMIN: "Admin", SYSTEM: "System"}
    RANK = {ADVISOR: 1, EDITOR: 2, ADMIN: 3, SYSTEM: 0}


#: The system account's address (`.invalid` can never be delivered to or registered).
SYSTEM_EMAIL = "system@knowledgebase.invalid"


class Deliverable(Base):
    """One piece of advice an adviser produced for a mutual: a business plan, a TUPE guide..."""

    __tablename__ = "deliverable"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600))
    organisation: Mapped[str] = mapped_column(String(300))
    deliverable_type: Mapped[str] = mapped_column(String(64), index=True)
    programme: Mapped[str | None] = mapped_column(String(64), index=True)
    stage: Mapped[str | None] = mapped_column(String(64), index=True)
    region: Mapped[str | None] = mapped_column(String(64), index=True)
    published: Mapped[dt.date] = mapped_column(Date, index=True)
    award_value: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(String(100))
    markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    toc: Mapped[list] = mapped_column(JSON, default=list)
    source_path: Mapped[str] = mapped_column(String(1000), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The content_hash last written to the search index; differs from content_hash until the
    #: index has caught up, so an ingest that died half-way is finished by the next one.
    indexed_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=Status.PUBLISHED, index=True)
    #: When the row was written and last written to, for any reason (re-rendering, indexing,
    #: withdrawal): bookkeeping, not dates to show readers.
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    #: When this deliverable first appeared on the site (UTC): its first ingest. Never moves.
    #: Not to be confused with `published`, the date of the advice itself, from the file.
    first_published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: When what the advisor wrote last changed (UTC): the file's front matter or body. A new
    #: rendering version, reindexing, moving or renaming the file, or a change of status leave it.
    last_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: When the deliverable was withdrawn (UTC), and the public explanation why. Both empty for
    #: published ones, and for ones withdrawn before reasons were recorded.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    #: Where the open draft is in review (a `DraftState`), or None when there is no draft.
    draft_state: Mapped[str | None] = mapped_column(String(20), index=True)
    #: When an admin unpublished it (published in error), the public reason, and the slug of the
    #: deliverable that replaces it (its address then redirects there).
    unpublished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unpublished_reason: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[str | None] = mapped_column(String(200))

    sector_rows: Mapped[list[DeliverableSector]] = relationship(
        cascade="all, delete-orphan", order_by="DeliverableSector.position", lazy="selectin"
    )
    legal_form_rows: Mapped[list[DeliverableLegalForm]] = relationship(
        cascade="all, delete-orphan", order_by="DeliverableLegalForm.position", lazy="selectin"
    )
    provider_rows: Mapped[list[DeliverableProvider]] = relationship(
        cascade="all, delete-orphan", order_by="DeliverableProvider.position", lazy="selectin"
    )
    tag_rows: Mapped[list[DeliverableTag]] = relationship(
        cascade="all, delete-orphan", order_by="DeliverableTag.position", lazy="selectin"
    )

    @property
    def sector(self) -> list[str]:
        return [row.value for row in self.sector_rows]

    @property
    def legal_form(self) -> list[str]:
        return [row.value for row in self.legal_form_rows]

    @property
    def provider(self) -> list[str]:
        return [row.value for row in self.provider_rows]

    @property
    def tags(self) -> list[str]:
        return [row.value for row in self.tag_rows]

    @property
    def year(self) -> int:
        return self.published.year

    def __repr__(self) -> str:
        return f"<Deliverable {self.slug}>"


class _Value:
    """A many-valued property: one row per value, in the order the advisor wrote them.

    The primary key leads with the value (for filtering); each table also has an index on
    (deliverable_id, position), so reading a deliverable's values is a lookup, not a scan of the
    table: without it a download of 50,000 scanned every value table once per batch of 500."""

    deliverable_id: Mapped[int] = mapped_column(
        ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class DeliverableSector(_Value, Base):
    __tablename__ = "deliverable_sector"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    __table_args__ = (
        Index("ix_deliverable_sector_value", "value"),
        Index("ix_deliverable_sector_deliverable_id", "deliverable_id", "position"),
    )


class DeliverableLegalForm(_Value, Base):
    __tablename__ = "deliverable_legal_form"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    __table_args__ = (
        Index("ix_deliverable_legal_form_value", "value"),
        Index("ix_deliverable_legal_form_deliverable_id", "deliverable_id", "position"),
    )


class DeliverableProvider(_Value, Base):
    __tablename__ = "deliverable_provider"
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    __table_args__ = (
        Index("ix_deliverable_provider_value", "value"),
        Index("ix_deliverable_provider_deliverable_id", "deliverable_id", "position"),
    )


class DeliverableTag(_Value, Base):
    __tablename__ = "deliverable_tag"
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    __table_args__ = (
        Index("ix_deliverable_tag_value", "value"),
        Index("ix_deliverable_tag_deliverable_id", "deliverable_id", "position"),
    )


#: Each many-valued key of the content format and the row class that stores it.
VALUE_ROWS = {
    "sector": ("sector_rows", DeliverableSector),
    "legal_form": ("legal_form_rows", DeliverableLegalForm),
    "provider": ("provider_rows", DeliverableProvider),
    "tags": ("tag_rows", DeliverableTag),
}


class User(Base):
    """An account: an advisor (belonging to providers), an editor, an admin, or the system."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; the address is the sign-in name.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.ADVISOR)
    #: An argon2id hash; None until the person sets a password from their invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: The base32 TOTP secret once two-factor sign-in is set up, and the last time step used
    #: (a code is accepted once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of every session's identity: raising it ends the account's sessions everywhere
    #: (password reset, deactivation, role change).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: Failed sign-ins since the last success, and when the last one was (the per-account throttle).
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_signin_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_signin_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    provider_rows: Mapped[list[UserProvider]] = relationship(
        cascade="all, delete-orphan", order_by="UserProvider.provider", lazy="selectin"
    )

    @property
    def providers(self) -> list[str]:
        return [row.provider for row in self.provider_rows]

    def at_least(self, role: str) -> bool:
        return self.role != Role.SYSTEM and Role.RANK.get(self.role, 0) >= Role.RANK[role]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserProvider(Base):
    """A provider (advising firm) an advisor works for: they see the deliverables it is named on."""

    __tablename__ = "user_provider"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(300), primary_key=True)


class LinkPurpose:
    """Purposes of a one-time link."""

    INVITE = "invite"
    RESET = "reset"


class SetPasswordLink(Base):
    """A one-time, expiring link to set a password (an invitation, or a reset). Only a hash of
    the secret is stored, so the table cannot be used to sign in."""

    __tablename__ = "set_password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class Revision(Base):
    """One saved version of a deliverable: its whole source (front matter and Markdown), who
    saved it, when, from where, and the change note. Never changed once written, except that
    `published_at` is set when it is published."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("deliverable_id", "number", name="uq_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3... within the deliverable; the highest is the latest.
    number: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: web (a form or an upload), file (`kb ingest`), restore (an old revision brought back).
    origin: Mapped[str] = mapped_column(String(20))
    #: What changed, for the history; shown to the public when `public_note` (a "major" change).
    change_note: Mapped[str | None] = mapped_column(Text)
    public_note: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    author: Mapped[User | None] = relationship(lazy="joined")


class ReviewComment(Base):
    """A reviewer's comment on a draft (a request for changes), seen by its advisors, never public."""

    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id", ondelete="SET NULL"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class AuditEvent(Base):
    """Who did what, when: append-only (the ORM refuses updates and deletes; see below)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: The account that acted (None: nobody signed in, e.g. a failed sign-in) and its address at
    #: the time, kept as text so the record reads the same if the account changes.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40), index=True)
    #: What it was done to: a deliverable's slug or an account's email.
    target: Mapped[str | None] = mapped_column(String(320), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    #: The client's address, as the proxies in front of the site report it (KB_PROXY_HOPS).
    address: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(_mapper, _connection, target):
    raise PermissionError(f"the audit log is append-only: event {target.id} cannot be changed or deleted")
