"""The search seam: what any search engine must do for the knowledge base, and how to get one.

Views, the CLI and ingest use only the names defined here. The Whoosh engine lives in
`whoosh_backend`; a PostgreSQL full-text engine can implement the same `SearchBackend` protocol
and be chosen with `KB_SEARCH_BACKEND`, without touching anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .. import fields

#: Filters a search accepts, from the field registry. OR within one, AND across.
FILTERS = fields.FILTERS
#: Filters that come from a vocabulary (provider is free text).
VOCABULARY_FILTERS = tuple(name for name in FILTERS if fields.field(name).vocabulary)
#: Facets a search counts: every filter and the year of publication.
FACETS = FILTERS + ("year",)
#: What an evidence map can cross: any two of these, each a facet or the year.
DIMENSIONS = ("sector", "legal_form", "deliverable_type", "programme", "region", "year")
SORTS = ("relevance", "newest", "oldest", "title", "added")
MAX_QUERY_LENGTH = 256
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


def check_dimension(name: str) -> str:
    """`name` if it is one of `DIMENSIONS`; a ValueError listing them otherwise."""
    if name not in DIMENSIONS:
        raise ValueError(f"{name[:40]!r} is not a dimension; accepted: {', '.join(DIMENSIONS)}")
    return name


@dataclass(frozen=True)
class SearchRequest:
    """One search, already validated: free text, filters, year range, order and page."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def effective_sort(self) -> str:
        """The order asked for, or the default: relevance with a query, newest without.

        Without a query there is nothing to rank by, so relevance means newest."""
        if self.q.strip():
            return self.sort or "relevance"
        return self.sort if self.sort in SORTS[1:] else "newest"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def selected(self, facet: str) -> tuple[str, ...]:
        return tuple(self.filters.get(facet, ()))

    def cache_key(self) -> tuple:
        filters = tuple(
            sorted((name, tuple(sorted(values))) for name, values in self.filters.items() if values)
        )
        return (
            " ".join(self.q.split()).lower(),
            filters,
            self.year_from,
            self.year_to,
            self.effective_sort,
            self.page,
            self.per_page,
        )


@dataclass(frozen=True)
class Hit:
    """One result: which deliverable, how well it matched, and a highlighted extract."""

    slug: str
    score: float | None = None
    snippet: str | None = None


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """A page of hits, the total, facet counts for every facet, and a spelling suggestion."""

    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, tuple[FacetCount, ...]]
    suggestion: str | None = None
    #: "all" when every query word had to match; "any" when nothing matched all of them and the
    #: search fell back to documents matching any word.
    matched: str = "all"


@dataclass(frozen=True)
class CrossCounts:
    """How many matching deliverables have each pair of values of two dimensions (an evidence
    map's cells), keyed (row value, column value); pairs with none are left out. `total` is the
    number of matching deliverables, which may be less than the sum of the cells (a deliverable
    with two sectors is in two rows) or more (one with no region is in no region column)."""

    rows: str
    columns: str
    cells: Mapping[tuple[str, str], int]
    total: int
    #: How many matches have each row value, and each column value (values with none left out).
    row_totals: Mapping[str, int] = field(default_factory=dict)
    column_totals: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexDocument:
    """What the search engine is given for one deliverable."""

    slug: str
    content_hash: str
    title: str
    summary: str
    organisation: str
    body: str
    tags: tuple[str, ...]
    sector: tuple[str, ...]
    legal_form: tuple[str, ...]
    deliverable_type: str
    programme: str | None
    region: str | None
    stage: str | None
    provider: tuple[str, ...]
    published: dt.date
    #: Labels and aliases of the deliverable's vocabulary values, so 'CIC' or 'youth work' match.
    labels: str = ""
    #: When the deliverable first appeared on the site (UTC), for the "added" order.
    added: dt.datetime | None = None


class SearchBackend(Protocol):
    """A search engine over published deliverables."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search; must never raise for any query text."""

    def cross_counts(self, request: SearchRequest, rows: str, columns: str) -> CrossCounts:
        """Counts of the request's matches (query, filters and years; not its page or order) for
        every pair of values of two `DIMENSIONS`, in one pass over the matches."""

    def slugs(self, request: SearchRequest) -> Iterator[str]:
        """Every match's slug in the request's order, ignoring its page: for exports. Lazy, so a
        caller can stream 50,000 without holding a list of rows."""

    def generation(self) -> str:
        """A token that changes whenever the searchable documents change (for ETags), the same
        in every process reading the same index."""

    def add(self, documents: Iterable[IndexDocument]) -> int:
        """Add or replace documents by slug; returns how many were written."""

    def delete(self, slugs: Iterable[str]) -> int:
        """Remove documents by slug; returns how many were asked for."""

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Replace the whole index with these documents, atomically for readers."""

    def count(self) -> int:
        """How many documents are searchable."""

    def is_empty(self) -> bool:
        """True when there is no index yet (a rebuild is needed)."""

    def close(self) -> None:
        """Release files and cached searchers."""


def create_backend(name: str, **options) -> SearchBackend:
    """The search engine configured by name (`KB_SEARCH_BACKEND`)."""
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(**options)
    raise ValueError(f"unknown search backend {name!r}; available: whoosh")
