"""Presenters: turn a `Listing` or a deliverable into what the GOV.UK macros and our templates take.

Templates stay declarative: every decision about what a page shows (which filters are open, the
error summary, the removable filter tags, the pagination window, the summary list's rows) is
made here, in plain Python that tests can call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from .. import fields, licences
from ..catalogue import Listing
from ..search import SORTS
from ..search.params import SearchArgs
from .urls import args_for, search_url

SORT_LABELS = {
    "relevance": "Best match",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A to Z",
    "added": "Recently added",
}
#: Filters with more options than this get a box to narrow the list (with JavaScript on).
FILTERABLE_OVER = 12


def long_date(value: dt.date | dt.datetime | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


@dataclass
class FilterSection:
    name: str
    label: str
    items: list[dict]
    selected_count: int
    error: str | None = None

    @property
    def id(self) -> str:
        return f"filter-{self.name.replace('_', '-')}"

    @property
    def filterable(self) -> bool:
        return len(self.items) > FILTERABLE_OVER


@dataclass
class SearchPage:
    """Everything the search page shows, from a search's arguments and its listing."""

    args: SearchArgs
    listing: Listing
    raw: MultiDict
    errors: list[dict] = field(init=False)

    def __post_init__(self):
        self.errors = [
            {"text": error.human, "href": "#" + self.field_id(error.parameter)} for error in self.args.errors
        ]

    @property
    def request(self):
        return self.listing.request

    @cached_property
    def clean_args(self) -> MultiDict:
        """The valid part of the search as query-string arguments (see `urls.args_for`)."""
        return args_for(self.request)

    def url(self, endpoint: str = "public.search", **changes) -> str:
        return search_url(endpoint, self.clean_args, **changes)

    @staticmethod
    def field_id(parameter: str) -> str:
        if parameter in fields.FILTERS:
            return f"filter-{parameter.replace('_', '-')}"
        return {"year_from": "year_from", "year_to": "year_to", "sort": "sort", "q": "q"}.get(
            parameter, "search-results"
        )

    def error_for(self, parameter: str) -> str | None:
        error = self.args.error_for(parameter)
        return error.human if error else None

    # -- the page's words ---------------------------------------------------------------------------

    @property
    def pages(self) -> int:
        return self.listing.pages

    @property
    def past_the_end(self) -> bool:
        return self.listing.total > 0 and self.request.page > self.listing.pages

    @property
    def title(self) -> str:
        req = self.request
        words = f"‘{req.q}’ – Search" if req.q else "Search"
        if req.page > 1:
            words += f" (page {req.page} of {self.pages})"
        return ("Error: " if self.errors else "") + words

    @property
    def count_sentence(self) -> str:
        sentence = plural(self.listing.total, "result")
        if self.request.q:
            sentence += f" for ‘{self.request.q}’"
        return sentence

    @property
    def description(self) -> str:
        req = self.request
        about = f" about ‘{req.q}’" if req.q else ""
        return (
            f"{plural(self.listing.total, 'piece')} of advice{about} given to public service mutuals: "
            "business plans, legal structures, TUPE and pensions guidance and more."
        )

    # -- filters --------------------------------------------------------------------------------------

    @cached_property
    def filter_sections(self) -> list[FilterSection]:
        sections = []
        for facet in self.listing.facets:
            if facet.name == "year":
                continue
            items = [
                {
                    "value": option.value,
                    "text": f"{option.label} ({option.count:,})",
                    "checked": option.selected,
                    "id": f"{facet.name}-{number}",
                }
                for number, option in enumerate(facet.options, start=1)
                if option.count or option.selected
            ]
            sections.append(
                FilterSection(
                    facet.name,
                    facet.label,
                    items,
                    sum(1 for option in facet.options if option.selected),
                    self.error_for(facet.name),
                )
            )
        return sections

    @property
    def open_filters(self) -> bool:
        """The filter panel opens itself only to show a mistake; otherwise the results come first."""
        return bool(self.errors)

    @property
    def sort_items(self) -> list[dict]:
        req = self.request
        default = "relevance" if req.q else "newest"
        chosen = req.sort if req.sort and req.sort != default else ""
        items = [{"value": "", "text": SORT_LABELS[default], "selected": chosen == ""}]
        for sort in SORTS[1:]:
            if sort != default:
                items.append({"value": sort, "text": SORT_LABELS[sort], "selected": chosen == sort})
        return items

    @property
    def hidden_state(self) -> list[tuple[str, str]]:
        """What the form sends besides its fields: the query and order it was shown with, so a
        new query starts from best match unless the reader chose an order at the same time."""
        return [("previous_q", self.request.q), ("previous_sort", self.request.sort or "")]

    @property
    def year_values(self) -> tuple[str, str]:
        """The years as the reader typed them, mistakes included."""
        return (self.raw.get("year_from", "").strip(), self.raw.get("year_to", "").strip())

    @cached_property
    def active_filters(self) -> list[dict]:
        tags = []
        for facet in self.listing.facets:
            if facet.name == "year":
                continue
            for option in facet.selected:
                tags.append(
                    {
                        "category": facet.label,
                        "label": option.label,
                        "href": self.url(remove=(facet.name, option.value)),
                    }
                )
        req = self.request
        if req.year_from is not None or req.year_to is not None:
            if req.year_from is not None and req.year_to is not None:
                label = f"{req.year_from} to {req.year_to}"
            elif req.year_from is not None:
                label = f"from {req.year_from}"
            else:
                label = f"up to {req.year_to}"
            tags.append(
                {
                    "category": "Year",
                    "label": label,
                    "href": self.url(year_from=None, year_to=None, page=None),
                }
            )
        return tags

    @property
    def clear_all_url(self) -> str:
        return search_url("public.search", MultiDict([("q", self.request.q)] if self.request.q else []))

    # -- results and pages ----------------------------------------------------------------------------

    @property
    def pagination(self) -> dict | None:
        page, pages = self.request.page, self.pages
        if pages <= 1 or self.past_the_end:
            return None
        numbers = {1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)}
        # An ellipsis never stands for a single page: show that page instead.
        numbers |= {number + 1 for number in numbers if number + 2 in numbers}
        numbers = sorted(numbers)
        items, previous = [], 0
        for number in numbers:
            if number - previous > 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": self.url(page=number), "current": number == page})
            previous = number
        params = {"items": items, "landmarkLabel": "Results pages"}
        if page > 1:
            params["previous"] = {"href": self.url(page=page - 1)}
        if page < pages:
            params["next"] = {"href": self.url(page=page + 1)}
        return params

    @property
    def last_page_url(self) -> str:
        return self.url(page=self.pages if self.pages > 1 else None)


def summary_rows(deliverable, labels, link) -> list[dict]:
    """The deliverable page's summary list, one row per field of the registry that has a value;
    vocabulary values and providers link to their filtered search."""
    rows = []
    for spec in fields.SUMMARY_LIST:
        value = getattr(deliverable, spec.name)
        if value in (None, "", [], ()):
            continue
        values = value if spec.many else [value]
        if spec.facet:
            shown = [
                Markup('<a class="govuk-link" href="{}">{}</a>').format(
                    link(spec.name, item), labels(spec.name, item) if spec.vocabulary else item
                )
                for item in values
            ]
        elif spec.kind is fields.Kind.DATE:
            shown = [Markup('<time datetime="{}">{}</time>').format(value.isoformat(), long_date(value))]
        elif spec.kind is fields.Kind.MONEY:
            shown = [escape(f"£{value:,}")]
        elif spec.kind is fields.Kind.LICENCE:
            found = licences.licence(value)
            shown = [
                Markup('<a class="govuk-link" rel="license" href="{}">{}</a>').format(found.url, found.name)
                if found
                else escape(value)
            ]
        else:
            shown = [escape(item) for item in values]
        html = Markup(", ").join(shown)
        rows.append({"key": {"text": spec.label}, "value": {"html": html}})
    return rows
