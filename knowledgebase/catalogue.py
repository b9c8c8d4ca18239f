"""What the site and the API ask for: searches with labelled facets, and single deliverables.

Joins the search engine's hits (slugs in ranked order) to the database's rows, and facet counts to
the vocabularies' labels. Views use this module and `knowledgebase.search`, never an engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload, load_only

from .db import get_database, get_session
from .ingest import IngestBusy, sync
from .models import Deliverable, Status
from .search import FACETS, VOCABULARY_FILTERS, Hit, SearchBackend, SearchRequest, SearchResult
from .vocab import Vocabularies, load_vocabularies

#: What a result in a list shows or the API gives (every field of the registry, and the dates):
#: not the bodies or the source, which are large. Tags come in one extra query for the page.
LISTING_COLUMNS = (
    load_only(
        Deliverable.slug,
        Deliverable.title,
        Deliverable.summary,
        Deliverable.organisation,
        Deliverable.deliverable_type,
        Deliverable.programme,
        Deliverable.region,
        Deliverable.stage,
        Deliverable.published,
        Deliverable.award_value,
        Deliverable.licence,
        Deliverable.status,
        Deliverable.first_published_at,
        Deliverable.last_changed_at,
    ),
)
#: For lists that show none of the many-valued metadata.
_NO_VALUE_ROWS = tuple(
    lazyload(relation)
    for relation in (
        Deliverable.sector_rows,
        Deliverable.legal_form_rows,
        Deliverable.provider_rows,
        Deliverable.tag_rows,
    )
)

#: Labels of the facets that are not vocabularies.
OTHER_FACET_LABELS = {"provider": "Provider", "year": "Year published"}


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    options: tuple[FacetOption, ...]

    @property
    def selected(self) -> tuple[FacetOption, ...]:
        return tuple(option for option in self.options if option.selected)


@dataclass(frozen=True)
class Result:
    deliverable: Deliverable
    hit: Hit


@dataclass(frozen=True)
class Listing:
    """One page of a search, ready to show or serialise."""

    request: SearchRequest
    total: int
    results: tuple[Result, ...]
    facets: tuple[Facet, ...]
    suggestion: str | None
    matched: str

    @property
    def pages(self) -> int:
        """How many pages the results fill (1 when there are none, or when no results were asked
        for: per_page=0 asks for the counts alone)."""
        if not self.request.per_page:
            return 1
        return max(1, math.ceil(self.total / self.request.per_page))

    def facet(self, name: str) -> Facet:
        return next(facet for facet in self.facets if facet.name == name)


def vocabularies() -> Vocabularies:
    """The vocabularies, read once per request (the file is re-read when it changes)."""
    if has_request_context():
        if "kb_vocabularies" not in g:
            g.kb_vocabularies = load_vocabularies(current_app.config["VOCABULARIES"])
        return g.kb_vocabularies
    return load_vocabularies(current_app.config["VOCABULARIES"])


def backend() -> SearchBackend:
    return current_app.extensions["kb.search"]


def search(request: SearchRequest) -> Listing:
    """Run a search and attach rows and labels."""
    found: SearchResult = backend().search(request)
    rows = {}
    if found.hits:
        slugs = [hit.slug for hit in found.hits]
        rows = {
            row.slug: row
            for row in get_session().scalars(
                # Published rows only, even if the index has not caught up with a withdrawal yet.
                select(Deliverable)
                .where(Deliverable.slug.in_(slugs), Deliverable.status == Status.PUBLISHED)
                .options(*LISTING_COLUMNS)
            )
        }
    results = tuple(Result(rows[hit.slug], hit) for hit in found.hits if hit.slug in rows)
    return Listing(
        request=request,
        total=found.total,
        results=results,
        facets=tuple(_facets(request, found, vocabularies())),
        suggestion=found.suggestion,
        matched=found.matched,
    )


def _facets(request: SearchRequest, found: SearchResult, vocabs: Vocabularies):
    for name in FACETS:
        counts = {item.value: item.count for item in found.facets.get(name, ())}
        selected = set(request.selected(name))
        if name in VOCABULARY_FILTERS:
            vocabulary = vocabs[name]
            options = [
                FacetOption(term.slug, term.label, counts.get(term.slug, 0), term.slug in selected)
                for term in vocabulary.terms
            ]
            yield Facet(name, vocabulary.label, tuple(options))
        elif name == "provider":
            names = sorted(set(counts) | selected, key=lambda value: (-counts.get(value, 0), value.lower()))
            yield Facet(
                name,
                OTHER_FACET_LABELS[name],
                tuple(FacetOption(value, value, counts.get(value, 0), value in selected) for value in names),
            )
        else:
            years = sorted(counts, reverse=True)
            low, high = request.year_from, request.year_to
            ranged = low is not None or high is not None
            yield Facet(
                name,
                OTHER_FACET_LABELS[name],
                tuple(
                    FacetOption(
                        year,
                        year,
                        counts[year],
                        ranged and (low is None or int(year) >= low) and (high is None or int(year) <= high),
                    )
                    for year in years
                ),
            )


def first_published(row: Deliverable):
    """When the deliverable first appeared on this site."""
    return row.first_published_at


def last_changed(row: Deliverable):
    """When the advice itself last changed (not its index entry or its rendering)."""
    return row.last_changed_at


def published_count() -> int:
    return get_session().scalar(
        select(func.count()).select_from(Deliverable).where(Deliverable.status == Status.PUBLISHED)
    )


def sitemap_entries(offset: int, limit: int) -> list[Deliverable]:
    """Published deliverables in a stable order, a slice at a time, with only what a sitemap needs."""
    if limit <= 0:
        return []
    return list(
        get_session().scalars(
            select(Deliverable)
            .where(Deliverable.status == Status.PUBLISHED)
            .order_by(Deliverable.id)
            .offset(offset)
            .limit(limit)
            .options(load_only(Deliverable.slug, Deliverable.last_changed_at), *_NO_VALUE_ROWS)
        )
    )


def get_deliverable(slug: str) -> Deliverable | None:
    """The deliverable at a public address: published, withdrawn or unpublished (the page says
    which). None for unknown slugs and for drafts never published, whose existence is not public."""
    row = get_session().scalar(select(Deliverable).where(Deliverable.slug == slug))
    if row is None or row.status == Status.DRAFT:
        return None
    return row


def bring_index_up_to_date(lock_timeout: float) -> bool:
    """After a publish, withdrawal or unpublishing on the site: bring the search index up to date
    within the request, waiting at most `lock_timeout` seconds for an ingest holding the lock.
    False if it could not; the rows stay marked (`indexed_hash`), and the next ingest, reindex or
    `kb sync` finishes the job."""
    try:
        sync(
            database=get_database(),
            backend=backend(),
            vocabularies=vocabularies(),
            lock_path=current_app.config["INGEST_LOCK"],
            lock_timeout=lock_timeout,
        )
    except (IngestBusy, OSError) as error:
        current_app.logger.warning("the search index was not brought up to date: %s", error)
        return False
    return True
