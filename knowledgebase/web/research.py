"""Pages for researchers looking at the collection as a whole: the evidence map (any two
dimensions crossed, gaps shown) and its CSV, the statistics, and the glossary of the vocabularies.

The figures come from `knowledgebase.research`; this module reads parameters, builds links and
renders. The map keeps the search it was reached from (query, filters, years) in its URL, and
every count on it links to the search that finds exactly those deliverables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from .. import catalogue, research
from ..search import DIMENSIONS, SearchRequest
from ..search.params import (
    SEARCH_PARAMETERS,
    ParameterError,
    SearchArgs,
    parse_search_args,
    read_search_args,
    unknown_parameters,
)
from ..tabular import csv_lines
from . import charts, limits
from .downloads import file_name
from .urls import args_for

pages = Blueprint("research", __name__, template_folder="templates")

#: The map's own parameters, besides a search's.
MAP_PARAMETERS = ("rows", "columns")
#: Shades of a non-empty cell, from the fewest deliverables to the most (the largest cell).
BANDS = 5
#: What a search link carries for a dimension of the map: year is a range of one year.
YEAR_PARAMETERS = ("year_from", "year_to")


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
    app.add_template_filter(charts.money, "money")
    # The limiter checks a decorated view when the view runs, so the app must call the wrapper.
    endpoint = "research.evidence_map_csv"
    app.view_functions[endpoint] = limits.limit_exports(app, app.view_functions[endpoint])


# -- the evidence map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapCell:
    row_label: str
    column_label: str
    count: int
    band: int  #: 0 for a gap, else 1 (fewest) to BANDS (the largest cell)
    href: str | None


@dataclass(frozen=True)
class MapRow:
    label: str
    cells: tuple[MapCell, ...]
    total: int
    total_href: str | None


@dataclass
class MapPage:
    """Everything the evidence map page shows: the form's choices and errors, the search it keeps,
    and the table with a link for every count."""

    args: SearchArgs
    rows: str
    columns: str
    #: A message for each mistaken choice of axis, by its field's id ("rows", "columns").
    axis_errors: dict[str, str] = field(default_factory=dict)

    @property
    def search(self) -> SearchRequest:
        return self.args.request

    @cached_property
    def clean(self) -> MultiDict:
        """The search's valid parts, without order or page (which do not change a map)."""
        return args_for(self.search, order_and_page=False)

    @cached_property
    def evidence(self) -> research.EvidenceMap | None:
        if self.axis_errors:
            return None
        return research.evidence_map(self.search, self.rows, self.columns)

    @property
    def error_list(self) -> list[dict]:
        listed = [{"text": message, "href": f"#{name}"} for name, message in self.axis_errors.items()]
        listed += [{"text": error.human, "href": "#map-search"} for error in self.args.errors]
        return listed

    @property
    def dimension_items(self) -> dict[str, list[dict]]:
        return {
            name: [
                {
                    "value": dimension,
                    "text": research.dimension_label(dimension),
                    "selected": chosen == dimension,
                }
                for dimension in DIMENSIONS
            ]
            for name, chosen in (("rows", self.rows), ("columns", self.columns))
        }

    @property
    def title(self) -> str:
        prefix = "Error: " if self.error_list else ""
        if self.axis_errors:
            return prefix + "Evidence map"
        return prefix + f"Evidence map: {self.heading_words}"

    @property
    def heading_words(self) -> str:
        rows, columns = research.dimension_label(self.rows), research.dimension_label(self.columns)
        return f"{rows.lower()} by {columns.lower()}"

    def url(self, endpoint: str = "research.evidence_map", everything: bool = False) -> str:
        """This map (or its CSV), or with `everything` the same axes for all the advice; the
        default axes are left out of the address."""
        pairs = [] if everything else list(self.clean.items(multi=True))
        if (self.rows, self.columns) != (research.DEFAULT_ROWS, research.DEFAULT_COLUMNS):
            pairs += [("rows", self.rows), ("columns", self.columns)]
        return _address(endpoint, pairs)

    @property
    def search_href(self) -> str:
        return _address("public.search", list(self.clean.items(multi=True)))

    def narrowed(self, *choices: tuple[str, str]) -> str:
        """The search for this map's deliverables with each (dimension, value) chosen: the value
        replaces what the search chose for that dimension (the map shows only chosen values, so
        the count does not change), and a year is a range of one year."""
        pairs = list(self.clean.items(multi=True))
        for dimension, value in choices:
            drop = YEAR_PARAMETERS if dimension == "year" else (dimension,)
            pairs = [pair for pair in pairs if pair[0] not in drop]
            pairs += [(name, value) for name in drop]
        return _address("public.search", pairs)

    @cached_property
    def table(self) -> list[MapRow]:
        evidence = self.evidence
        largest = evidence.largest
        rows = []
        for row, row_label in evidence.rows.values:
            cells = []
            for column, column_label in evidence.columns.values:
                count = evidence.count(row, column)
                cells.append(
                    MapCell(
                        row_label,
                        column_label,
                        count,
                        band(count, largest),
                        self.narrowed((self.rows, row), (self.columns, column)) if count else None,
                    )
                )
            total = evidence.row_totals.get(row, 0)
            rows.append(
                MapRow(row_label, tuple(cells), total, self.narrowed((self.rows, row)) if total else None)
            )
        return rows

    @property
    def column_totals(self) -> list[tuple[int, str | None]]:
        evidence = self.evidence
        totals = []
        for column, _ in evidence.columns.values:
            count = evidence.column_totals.get(column, 0)
            totals.append((count, self.narrowed((self.columns, column)) if count else None))
        return totals

    @property
    def search_summary(self) -> list[str]:
        """The search the map is of, in words: 'Sector: Libraries, Housing'."""
        search, vocabularies = self.search, catalogue.vocabularies()
        lines = [f"Words: ‘{search.q}’"] if search.q else []
        for name, values in search.filters.items():
            if name == "provider":
                lines.append(f"Provider: {', '.join(values)}")
            else:
                vocabulary = vocabularies[name]
                labels = ", ".join(vocabulary.label_for(value) for value in values)
                lines.append(f"{vocabulary.label}: {labels}")
        low, high = search.year_from, search.year_to
        if low is not None and high is not None:
            lines.append(f"Years: {low} to {high}")
        elif low is not None:
            lines.append(f"Years: from {low}")
        elif high is not None:
            lines.append(f"Years: up to {high}")
        return lines


def band(count: int, largest: int) -> int:
    """A cell's shade: 0 for none, else 1 to BANDS in proportion to the largest cell."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, min(BANDS, math.ceil(BANDS * count / largest)))


def _address(endpoint: str, pairs) -> str:
    query = urlencode(pairs)
    return url_for(endpoint) + ("?" + query if query else "")


def read_axes(args) -> tuple[str, str, dict[str, str]]:
    """The map's rows and columns from a query string, and a message for each mistake (a choice
    not in the list, or the same dimension twice). A mistaken choice is kept if it is one of the
    dimensions, so the form shows what was chosen."""
    errors = {}
    chosen = {}
    for name, default in (("rows", research.DEFAULT_ROWS), ("columns", research.DEFAULT_COLUMNS)):
        value = (args.get(name) or "").strip() or default
        if value not in DIMENSIONS:
            errors[name] = f"Choose what the {name} show from the list"
            value = default
        chosen[name] = value
    if not errors and chosen["rows"] == chosen["columns"]:
        errors["columns"] = "Choose something different for the columns and the rows"
    return chosen["rows"], chosen["columns"], errors


@pages.get("/evidence-map")
def evidence_map():
    """The map of the search in the address, as a table; unknown parameters are ignored."""
    args = read_search_args(request.args, catalogue.vocabularies())
    rows, columns, errors = read_axes(request.args)
    page = MapPage(args, rows, columns, errors)
    status = 400 if page.error_list else 200
    return render_template("research/evidence-map.html", page=page), status


@pages.get("/evidence-map.csv")
def evidence_map_csv():
    """The same map as CSV: the row label, then a column per column value and a Total column; a
    last Total row. Strict, as downloads are: an unknown or mistaken parameter is a 400."""
    unknown = unknown_parameters(request.args, (*SEARCH_PARAMETERS, *MAP_PARAMETERS))
    if unknown:
        return _refused(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)[:200]}. "
            f"Accepted: {', '.join((*SEARCH_PARAMETERS, *MAP_PARAMETERS))}."
        )
    try:
        search = parse_search_args(request.args, catalogue.vocabularies())
    except ParameterError as error:
        return _refused(f"{error.parameter}: {error.message}")
    rows, columns, errors = read_axes(request.args)
    if errors:
        name = next(iter(errors))
        value = request.args.get(name, "").strip()
        if value in DIMENSIONS:
            return _refused(f"rows and columns are both {value!r}: choose two different dimensions.")
        return _refused(f"{name}: {value[:40]!r} is not a dimension; accepted: {', '.join(DIMENSIONS)}.")
    evidence = research.evidence_map(search, rows, columns)
    header = [evidence.rows.label, *(label for _, label in evidence.columns.values), "Total"]
    lines = csv_lines(header, _csv_rows(evidence))
    response = Response(lines, mimetype="text/csv")
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=file_name(search, what=f"evidence map {rows} by {columns}") + ".csv",
    )
    return response


def _csv_rows(evidence: research.EvidenceMap):
    for row, label in evidence.rows.values:
        counts = [evidence.count(row, column) for column, _ in evidence.columns.values]
        yield [label, *counts, evidence.row_totals.get(row, 0)]
    totals = [evidence.column_totals.get(column, 0) for column, _ in evidence.columns.values]
    yield ["Total", *totals, evidence.total]


def _refused(message: str) -> Response:
    """A download's 400: plain text naming the parameter, for the script that asked."""
    return Response(message + "\n", status=400, mimetype="text/plain")


# -- statistics -------------------------------------------------------------------------------------


@pages.get("/statistics")
def statistics():
    figures = research.statistics()
    awards = figures.awards
    several = (
        "A piece of advice can be for more than one {what}, so these add up to more than "
        f"{figures.total:,}: each counts once in every {{what}} it names."
    )
    count_charts = [
        ("per-year", "Advice per year", "Year", figures.by_year, None),
        ("per-programme", "Advice per programme", "Programme", figures.by_programme, None),
        ("per-sector", "Advice per sector", "Sector", figures.by_sector, several.format(what="sector")),
        (
            "per-legal-form",
            "Advice per legal form",
            "Legal form",
            figures.by_legal_form,
            several.format(what="legal form"),
        ),
    ]
    sections = [
        {
            "id": id,
            "heading": heading,
            "what": what,
            "chart": charts.bar_chart(
                f"chart-{id}", f"{heading} (number of deliverables)", [(c.label, c.count) for c in counts]
            ),
            "counts": counts,
            "note": note,
        }
        for id, heading, what, counts, note in count_charts
    ]
    award_charts = {
        "year": charts.bar_chart(
            "chart-awards-year",
            "Total award value per year",
            [(year, total) for year, _, total, _ in awards.by_year],
            charts.money,
        ),
        "programme": charts.bar_chart(
            "chart-awards-programme",
            "Total award value per programme",
            [(label, total) for _, label, _, total, _ in awards.by_programme],
            charts.money,
        ),
    }
    return render_template(
        "research/statistics.html", figures=figures, sections=sections, award_charts=award_charts
    )


# -- glossary ---------------------------------------------------------------------------------------

#: Vocabularies with a page per value (`/sectors/<slug>`, `/legal-forms/<slug>`).
TOPIC_PAGES = {"sector": "public.sector", "legal_form": "public.legal_form"}


@pages.get("/glossary")
def glossary():
    listing = catalogue.search(SearchRequest(per_page=0))
    sections = []
    for vocabulary in catalogue.vocabularies():
        counts = {option.value: option.count for option in listing.facet(vocabulary.name).options}
        sections.append(
            {
                "id": vocabulary.name.replace("_", "-"),
                "vocabulary": vocabulary,
                "terms": [
                    {
                        "term": term,
                        "count": counts.get(term.slug, 0),
                        "page": url_for(TOPIC_PAGES[vocabulary.name], slug=term.slug)
                        if vocabulary.name in TOPIC_PAGES
                        else None,
                        "search": url_for("public.search", **{vocabulary.name: term.slug}),
                    }
                    for term in vocabulary.terms
                ],
            }
        )
    return render_template("research/glossary.html", sections=sections)
