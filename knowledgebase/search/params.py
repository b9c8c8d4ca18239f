"""Turn query-string parameters (the page's and the API's) into a `SearchRequest`, or say which is bad."""

from __future__ import annotations

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
YEARS = (1900, 2100)


class ParameterError(ValueError):
    """A parameter that cannot be understood; `parameter` names it for the 400 response."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def parse_search_args(args, vocabularies) -> SearchRequest:
    """Read q, the filters, year_from, year_to, sort, page and per_page from a MultiDict."""
    q = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]
    filters = {}
    for name in FILTERS:
        values = [value.strip() for value in args.getlist(name) if value and value.strip()]
        if name in VOCABULARY_FILTERS:
            vocabulary = vocabularies[name]
            resolved = []
            for value in values:
                slug = vocabulary.resolve(value)
                if slug is None:
                    raise ParameterError(
                        name, f"{value!r} is not a known value; accepted: " + ", ".join(vocabulary.slugs)
                    )
                resolved.append(slug)
            values = resolved
        if values:
            filters[name] = tuple(dict.fromkeys(values))
    year_from = _integer(args, "year_from", *YEARS)
    year_to = _integer(args, "year_to", *YEARS)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise ParameterError("year_from", f"{year_from} is after year_to ({year_to})")
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort not in SORTS:
        raise ParameterError("sort", f"{sort!r} is not a sort order; accepted: {', '.join(SORTS)}")
    page = _integer(args, "page", 1, MAX_PAGE) or 1
    per_page = _integer(args, "per_page", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    return SearchRequest(
        q=q, filters=filters, year_from=year_from, year_to=year_to, sort=sort, page=page, per_page=per_page
    )


def _integer(args, name: str, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ParameterError(name, f"{raw[:40]!r} is not a whole number; accepted: {low} to {high}") from None
    if not low <= value <= high:
        raise ParameterError(name, f"{value} is out of range; accepted: {low} to {high}")
    return value
