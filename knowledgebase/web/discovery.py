"""How people and machines find the advice: an Atom feed of any search, the sitemap and robots.txt.

Everything here is absolute on `KB_PUBLIC_URL` (see `urls.public_url`), and only published
deliverables appear: a withdrawn one leaves feeds and the sitemap as it leaves search.
"""

from __future__ import annotations

import math
from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from .. import catalogue
from ..search.params import read_search_args
from .urls import args_for, public_url, search_url

discovery = Blueprint("discovery", __name__, template_folder="templates")

FEED_ENTRIES = 50


@discovery.get("/search.atom")
def search_feed():
    """The newest deliverables matching a search, with the search page's parameters. Mistaken
    parameters are left out rather than refused, so a feed reader always gets a feed."""
    args = read_search_args(request.args, catalogue.vocabularies())
    listing = catalogue.search(replace(args.request, sort="added", page=1, per_page=FEED_ENTRIES))
    what = args_for(args.request, order_and_page=False)
    entries = [result.deliverable for result in listing.results]
    updated = max((catalogue.last_changed(entry) for entry in entries), default=None)
    body = render_template(
        "discovery/feed.xml",
        listing=listing,
        entries=entries,
        updated=updated,
        self_url=public_url(search_url("discovery.search_feed", what)),
        html_url=public_url(search_url("public.search", what)),
        public_url=public_url,
    )
    return Response(body, mimetype="application/atom+xml")


def _static_paths() -> list[str]:
    vocabularies = catalogue.vocabularies()
    paths = [url_for(f"public.{name}") for name in ("home", "search", "about", "accessibility", "privacy")]
    paths += [url_for(f"research.{name}") for name in ("evidence_map", "statistics", "glossary")]
    paths += [url_for("public.sector", slug=slug) for slug in vocabularies["sector"].slugs]
    paths += [url_for("public.legal_form", slug=slug) for slug in vocabularies["legal_form"].slugs]
    return paths


def _limit() -> int:
    """URLs in one sitemap file (the protocol's limit is 50,000); past it /sitemap.xml is an index."""
    return min(50_000, max(1, int(current_app.config["SITEMAP_LIMIT"])))


@discovery.get("/sitemap.xml")
def sitemap():
    static = _static_paths()
    total = len(static) + catalogue.published_count()
    limit = _limit()
    if total <= limit:
        return _urlset(static, catalogue.sitemap_entries(0, limit))
    files = math.ceil(total / limit)
    body = render_template(
        "discovery/sitemap-index.xml",
        sitemaps=[public_url(url_for("discovery.sitemap_part", number=n)) for n in range(1, files + 1)],
    )
    return Response(body, mimetype="application/xml")


@discovery.get("/sitemaps/<int:number>.xml")
def sitemap_part(number: int):
    static = _static_paths()
    limit = _limit()
    start = (number - 1) * limit
    if number < 1 or start >= len(static) + catalogue.published_count():
        abort(404)
    paths = static[start : start + limit]
    offset = max(0, start - len(static))
    return _urlset(paths, catalogue.sitemap_entries(offset, limit - len(paths)))


def _urlset(paths, entries):
    body = render_template("discovery/sitemap.xml", paths=paths, entries=entries, public_url=public_url)
    return Response(body, mimetype="application/xml")


@discovery.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /search?",
        "Disallow: /search.atom",
        # The map of every search, and its downloads: /evidence-map itself stays open.
        "Disallow: /evidence-map?",
        "Disallow: /evidence-map.csv",
        # Downloads of whole searches: large, and the same data as the pages.
        "Disallow: /search.csv",
        "Disallow: /search.jsonl",
        "Disallow: /*.csv$",
        "Disallow: /*.jsonl$",
        # Pages for advisors, editors and admins: behind sign-in, and never worth indexing.
        "Disallow: /publish/",
        "Disallow: /admin/",
        "Disallow: /sign-in",
        "Disallow: /set-password/",
        f"Sitemap: {public_url(url_for('discovery.sitemap'))}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
