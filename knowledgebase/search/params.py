"""Turn query-string parameters (the pages', the feeds' and the API's) into a `SearchRequest`.

`read_search_args` never fails: it keeps every valid part and lists every problem, so a page can
show the results for what it understood beside an error for each field it did not. Each problem
carries a message for scripts (naming slugs) and one for people (naming labels).
`parse_search_args` is the strict form the API uses: the first problem is a 400.
Parameters this module does not know (`utm_source`, ...) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import (
    DEFAULT_PER_PAGE,
    FILTERS,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    SORTS,
    VOCABULARY_FILTERS,
    SearchRequest,
)

MAX_PAGE = 10_000
#: Control characters and XML's non-characters are dropped from what a reader typed: they mean
#: nothing in a search and would break the Atom feed that echoes the query.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
YEARS = (1900, 2100)


class ParameterError(ValueError):
    """A parameter that cannot be understood; `parameter` names it for the 400 response, and
    `human` says what is wrong in the words of the page (labels, not slugs)."""

    def __init__(self, parameter: str, message: str, human: str | None = None):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        self.human = human or message


@dataclass(frozen=True)
class SearchArgs:
    """What a query string asked for: the search made of its valid parts, and its problems."""

    request: SearchRequest
    errors: tuple[ParameterError, ...] = ()

    def error_for(self, parameter: str) -> ParameterError | None:
        return next((error for error in self.errors if error.parameter == parameter), None)


#: The query-string parameters a search understands.
SEARCH_PARAMETERS = ("q", *FILTERS, "year_from", "year_to", "sort", "page", "per_page")


def unknown_parameters(args, known=SEARCH_PARAMETERS) -> list[str]:
    """Parameters of a query string that are not in `known`, in the order first given: the
    versioned API and the downloads refuse them (400), so `?sectors=libraries` is not silently
    everything."""
    return [name for name in dict.fromkeys(args.keys()) if name not in known]


def parse_search_args(args, vocabularies, *, min_per_page: int = 1) -> SearchRequest:
    """The strict reading: a `SearchRequest`, or the first problem raised as a `ParameterError`.
    `min_per_page=0` lets the API ask for the total and facets alone."""
    read = read_search_args(args, vocabularies, min_per_page=min_per_page)
    if read.errors:
        raise read.errors[0]
    return read.request


def read_search_args(args, vocabularies, *, min_per_page: int = 1) -> SearchArgs:
    """Read q, the filters, year_from, year_to, sort, page and per_page from a MultiDict. Pages
    show at least one result a page; the API may ask for none (`min_per_page=0`)."""
    errors: list[ParameterError] = []
    q = " ".join(_UNPRINTABLE.sub(" ", args.get("q") or "").split())[:MAX_QUERY_LENGTH]
    filters = {}
    for name in FILTERS:
        values = [_UNPRINTABLE.sub("", value).strip() for value in args.getlist(name)]
        values = [value for value in values if value]
        if name in VOCABULARY_FILTERS:
            values = _resolve(name, values, vocabularies[name], errors)
        elif name == "provider":  # free text; a known name or alias is the canonical name
            values = [vocabularies.providers.canonical(value) for value in values]
        if values:
            filters[name] = tuple(dict.fromkeys(values))
    year_from = _integer(args, "year_from", *YEARS, errors, what="‘from’ year", example="2015")
    year_to = _integer(args, "year_to", *YEARS, errors, what="‘to’ year", example="2015")
    if year_from is not None and year_to is not None and year_from > year_to:
        errors.append(
            ParameterError(
                "year_from",
                f"{year_from} is after year_to ({year_to})",
                f"The ‘from’ year ({year_from}) must be the same as or before the ‘to’ year ({year_to})",
            )
        )
        year_from = year_to = None
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort not in SORTS:
        errors.append(
            ParameterError(
                "sort",
                f"{sort[:40]!r} is not a sort order; accepted: {', '.join(SORTS)}",
                "Choose an order from the list",
            )
        )
        sort = None
    page = _integer(args, "page", 1, MAX_PAGE, errors, what="page number", example="2") or 1
    per_page = _integer(
        args, "per_page", min_per_page, MAX_PER_PAGE, errors, what="number of results per page", example="20"
    )
    if per_page is None:
        per_page = DEFAULT_PER_PAGE
    request = SearchRequest(
        q=q, filters=filters, year_from=year_from, year_to=year_to, sort=sort, page=page, per_page=per_page
    )
    return SearchArgs(request, tuple(errors))


def _resolve(name, values, vocabulary, errors) -> list[str]:
    resolved = []
    for value in values:
        slug = vocabulary.resolve(value)
        if slug is None:
            near = vocabulary.closest(value)
            hint = f" Did you mean ‘{vocabulary.label_for(near)}’?" if near else ""
            errors.append(
                ParameterError(
                    name,
                    f"{value[:80]!r} is not a known value; accepted: " + ", ".join(vocabulary.slugs),
                    f"‘{value[:80]}’ is not a {vocabulary.label.lower()} we know.{hint} "
                    f"Choose from the {vocabulary.label.lower()} list",
                )
            )
        else:
            resolved.append(slug)
    return resolved


def _integer(args, name: str, low: int, high: int, errors, *, what: str, example: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if not raw.lstrip("-").isascii() or not raw.lstrip("-").isdigit():
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        errors.append(
            ParameterError(
                name,
                f"{raw[:40]!r} is not a whole number; accepted: {low} to {high}",
                f"Enter the {what} as a whole number, like {example}",
            )
        )
        return None
    if not low <= value <= high:
        errors.append(
            ParameterError(
                name,
                f"{value} is out of range; accepted: {low} to {high}",
                f"Enter a {what} from {low} to {high}",
            )
        )
        return None
    return value
