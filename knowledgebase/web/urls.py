"""Addresses: search URLs that keep the search's state, and absolute URLs on the public address.

`KB_PUBLIC_URL` (e.g. https://mutuals.example.org) is the site's public address for canonical
links, feeds, the sitemap and anything made outside a request. Without it, the request's own
address is used (behind proxies, set `KB_PROXY_HOPS` so that address is the public one).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for
from werkzeug.datastructures import MultiDict

from ..search import DEFAULT_PER_PAGE, SearchRequest
from ..search.params import SEARCH_PARAMETERS


def search_args(args) -> list[tuple[str, str]]:
    """The search parameters of a query string that carry a value, in a stable order."""
    return [(name, value) for name in SEARCH_PARAMETERS for value in args.getlist(name) if value.strip()]


def args_for(search: SearchRequest, *, order_and_page: bool = True) -> MultiDict:
    """A search's valid parts as query-string arguments, defaults left out. Links are built from
    these, never from what was typed, so following one never repeats a mistake."""
    pairs = [("q", search.q)] if search.q else []
    for name, values in search.filters.items():
        pairs += [(name, value) for value in values]
    if search.year_from is not None:
        pairs.append(("year_from", str(search.year_from)))
    if search.year_to is not None:
        pairs.append(("year_to", str(search.year_to)))
    if order_and_page:
        if search.sort:
            pairs.append(("sort", search.sort))
        if search.page > 1:
            pairs.append(("page", str(search.page)))
        if search.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per_page", str(search.per_page)))
    return MultiDict(pairs)


def search_url(endpoint: str = "public.search", args=None, **changes) -> str:
    """This search's URL with some parameters changed: `add=(name, value)`, `remove=(name, value)`,
    or `name=value` to replace (None drops it). Changing the filters goes back to page 1.
    `endpoint` gives the same search as another format (the Atom feed)."""
    pairs = search_args(request.args if args is None else args)
    add = changes.pop("add", None)
    remove = changes.pop("remove", None)
    if add:
        pairs.append(add)
    if remove:
        pairs = [pair for pair in pairs if pair != remove]
    if add or remove:
        pairs = [pair for pair in pairs if pair[0] != "page"]
    for name, value in changes.items():
        pairs = [pair for pair in pairs if pair[0] != name]
        if value is not None:
            pairs.append((name, str(value)))
    query = urlencode(pairs)
    return url_for(endpoint) + ("?" + query if query else "")


def public_url(path: str) -> str:
    """An absolute URL for a site path, on `KB_PUBLIC_URL` when it is set."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return base + path


def canonical_url(args: MultiDict | None = None) -> str:
    """This page's canonical address: the public address and the path, with a search's valid
    arguments (`args_for`) where the page is a search."""
    query = urlencode(search_args(args)) if args else ""
    return public_url(request.path) + ("?" + query if query else "")
