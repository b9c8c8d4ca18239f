"""The record: deliverables and their metadata, stored with SQLAlchemy on SQLite or PostgreSQL.

Vocabulary values are stored as slugs (their labels live in vocabularies.yml). Many-valued metadata
(sectors, legal forms, providers, tags) is stored one row per value, so it can be filtered and
counted in SQL. `status` leaves room for the publishing workflow (review, withdrawal) to come.

Every change to these classes needs a revision in `migrations/versions/` (see `migrate.py`);
a test fails when the models and the migrations disagree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Status:
    """Where a deliverable is in its life; only published ones are searchable."""

    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


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
    """A many-valued property: one row per value, in the order the advisor wrote them."""

    deliverable_id: Mapped[int] = mapped_column(
        ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class DeliverableSector(_Value, Base):
    __tablename__ = "deliverable_sector"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    __table_args__ = (Index("ix_deliverable_sector_value", "value"),)


class DeliverableLegalForm(_Value, Base):
    __tablename__ = "deliverable_legal_form"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    __table_args__ = (Index("ix_deliverable_legal_form_value", "value"),)


class DeliverableProvider(_Value, Base):
    __tablename__ = "deliverable_provider"
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    __table_args__ = (Index("ix_deliverable_provider_value", "value"),)


class DeliverableTag(_Value, Base):
    __tablename__ = "deliverable_tag"
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    __table_args__ = (Index("ix_deliverable_tag_value", "value"),)


#: Each many-valued key of the content format and the row class that stores it.
VALUE_ROWS = {
    "sector": ("sector_rows", DeliverableSector),
    "legal_form": ("legal_form_rows", DeliverableLegalForm),
    "provider": ("provider_rows", DeliverableProvider),
    "tags": ("tag_rows", DeliverableTag),
}
