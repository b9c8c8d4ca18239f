"""What researchers ask of the whole collection: the evidence map (how many deliverables have
each pair of values of two dimensions, gaps included) and the statistics (counts per year,
programme, sector and legal form; award values).

Plain functions over the search seam and the database, labelled from the vocabularies; the
pages, the API and the CSV downloads all serialise what these return.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select

from . import catalogue
from .db import get_session
from .models import Deliverable, Status
from .search import SearchRequest, check_dimension

#: The evidence map's default axes: what an aspiring mutual asks first.
DEFAULT_ROWS, DEFAULT_COLUMNS = "sector", "legal_form"
YEAR_LABEL = "Year of the advice"


@dataclass(frozen=True)
class Axis:
    """One side of the map: a dimension and its values in the order shown, with labels."""

    name: str
    label: str
    values: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class EvidenceMap:
    request: SearchRequest
    rows: Axis
    columns: Axis
    cells: dict[tuple[str, str], int]
    #: Deliverables having each row value (not the sum of its cells: a deliverable with two legal
    #: forms is in two cells of its row but counts once here), and the same for columns.
    row_totals: dict[str, int]
    column_totals: dict[str, int]
    #: Matching deliverables in all.
    total: int

    def count(self, row: str, column: str) -> int:
        return self.cells.get((row, column), 0)

    @property
    def largest(self) -> int:
        """The largest cell the map shows."""
        return max((self.count(row, column) for row, column in self.pairs()), default=0)

    def pairs(self):
        """Every (row value, column value) the map shows."""
        return ((row, column) for row, _ in self.rows.values for column, _ in self.columns.values)

    @property
    def combinations(self) -> int:
        return len(self.rows.values) * len(self.columns.values)

    @property
    def gaps(self) -> int:
        """Cells the map shows with no deliverable."""
        return sum(1 for row, column in self.pairs() if not self.count(row, column))


def dimension_label(name: str) -> str:
    return YEAR_LABEL if name == "year" else catalogue.vocabularies()[name].label


def evidence_map(
    request: SearchRequest, rows: str = DEFAULT_ROWS, columns: str = DEFAULT_COLUMNS
) -> EvidenceMap:
    """The map of a search (its query, filters and years; not its page or order). Every value of
    each vocabulary is an axis value, matched or not, so gaps show; years run from the
    collection's first to its last, so a year with nothing shows too. Where the search filters a
    dimension of the map, that axis shows only the chosen values (or years in the chosen range):
    the others would count deliverables that also have a chosen value, not gaps, and a cell's
    count is then what the search for its two values alone finds."""
    for name in (rows, columns):
        check_dimension(name)
    backend = catalogue.backend()
    request = replace(request, page=1, per_page=0, sort=None)
    crossed = backend.cross_counts(request, rows, columns)
    return EvidenceMap(
        request=request,
        rows=_axis(rows, request),
        columns=_axis(columns, request),
        cells=dict(crossed.cells),
        row_totals=dict(crossed.row_totals),
        column_totals=dict(crossed.column_totals),
        total=crossed.total,
    )


def _axis(name: str, request: SearchRequest) -> Axis:
    if name == "year":
        years = [int(year) for year in collection_years()]
        low, high = (min(years), max(years)) if years else (0, -1)
        low = max(low, request.year_from) if request.year_from is not None else low
        high = min(high, request.year_to) if request.year_to is not None else high
        return Axis(name, YEAR_LABEL, tuple((str(year), str(year)) for year in range(low, high + 1)))
    vocabulary = catalogue.vocabularies()[name]
    chosen = set(request.selected(name))
    return Axis(
        name,
        vocabulary.label,
        tuple((term.slug, term.label) for term in vocabulary.terms if not chosen or term.slug in chosen),
    )


def collection_years() -> list[str]:
    """The years of advice the collection holds, oldest first."""
    return sorted(catalogue.backend().cross_counts(SearchRequest(), "year", "year").row_totals)


@dataclass(frozen=True)
class Count:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Awards:
    """What the support was worth, where the deliverable says (award_value, whole pounds)."""

    known: int  #: deliverables giving a value
    total: int
    median: float | None
    by_year: tuple[tuple[str, int, int, float], ...]  #: (year, known, total, median)
    by_programme: tuple[tuple[str, str, int, int, float], ...]  #: (slug, label, known, total, median)


@dataclass(frozen=True)
class Statistics:
    total: int
    by_year: tuple[Count, ...]
    by_programme: tuple[Count, ...]
    by_sector: tuple[Count, ...]
    by_legal_form: tuple[Count, ...]
    awards: Awards


def statistics() -> Statistics:
    """Counts of published deliverables per year (every year in the span, none left out),
    programme, sector and legal form (every value, none left out), and award values."""
    listing = catalogue.search(SearchRequest(per_page=0))
    years = {option.value: option.count for option in listing.facet("year").options}
    span = range(int(min(years)), int(max(years)) + 1) if years else range(0)

    def counts(name: str) -> tuple[Count, ...]:
        return tuple(
            Count(option.value, option.label, option.count) for option in listing.facet(name).options
        )

    return Statistics(
        total=listing.total,
        by_year=tuple(Count(str(year), str(year), years.get(str(year), 0)) for year in span),
        by_programme=counts("programme"),
        by_sector=counts("sector"),
        by_legal_form=counts("legal_form"),
        awards=_awards(),
    )


def _awards() -> Awards:
    rows = get_session().execute(
        select(Deliverable.award_value, Deliverable.published, Deliverable.programme).where(
            Deliverable.status == Status.PUBLISHED, Deliverable.award_value.is_not(None)
        )
    )
    values: list[int] = []
    by_year: dict[str, list[int]] = defaultdict(list)
    by_programme: dict[str, list[int]] = defaultdict(list)
    for value, published, programme in rows:
        values.append(value)
        by_year[str(published.year)].append(value)
        if programme:
            by_programme[programme].append(value)
    programmes = catalogue.vocabularies()["programme"]
    return Awards(
        known=len(values),
        total=sum(values),
        median=stats.median(values) if values else None,
        by_year=tuple(
            (year, len(found), sum(found), stats.median(found)) for year, found in sorted(by_year.items())
        ),
        by_programme=tuple(
            (
                slug,
                programmes.label_for(slug),
                len(by_programme[slug]),
                sum(by_programme[slug]),
                stats.median(by_programme[slug]),
            )
            for slug in programmes.slugs
            if by_programme.get(slug)
        ),
    )
