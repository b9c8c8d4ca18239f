"""The public pages: home, the search finder, deliverables, sector and legal-form pages, and the
service's own pages (about, accessibility, privacy).

Every state of the search lives in the URL and every page works without JavaScript. Bad search
input re-shows the search with an error summary and the results for what was understood.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from .. import catalogue, citations, publishing
from ..db import get_session
from ..models import Status
from ..search import SearchRequest
from ..search.params import read_search_args
from . import presenters
from .errors import error_page
from .urls import SEARCH_PARAMETERS, public_url, search_args, search_url

public = Blueprint("public", __name__, template_folder="templates")

#: Hidden fields the search form sends so a new query starts from best match; never in a clean URL.
FORM_STATE = ("previous_q", "previous_sort")


def _label(vocabulary: str, slug: str) -> str:
    return catalogue.vocabularies()[vocabulary].label_for(slug)


@public.get("/")
def home():
    if any(name in request.args for name in SEARCH_PARAMETERS):
        # Old links and bookmarks to /?q=... go on to the search they meant.
        return redirect(search_url("public.search", request.args), 301)
    overview = catalogue.search(SearchRequest(sort="newest", per_page=5))
    vocabularies = catalogue.vocabularies()
    return render_template(
        "public/home.html",
        overview=overview,
        sectors=_browse(overview, "sector", vocabularies),
        legal_forms=_browse(overview, "legal_form", vocabularies),
    )


def _browse(listing, name, vocabularies):
    counts = {option.value: option.count for option in listing.facet(name).options}
    return [(term, counts.get(term.slug, 0)) for term in vocabularies[name].terms]


@public.get("/search")
def search():
    if any(name in request.args for name in FORM_STATE):
        return redirect(_after_form(request.args), 303)
    args = read_search_args(request.args, catalogue.vocabularies())
    listing = catalogue.search(args.request)
    page = presenters.SearchPage(args, listing, request.args)
    status = 400 if args.errors else 200
    return render_template("public/search.html", page=page, listing=listing), status


def _after_form(args) -> str:
    """Where a submitted search form goes: its own values without the empty ones or the form's
    state, and without an order the reader did not choose for a new query."""
    pairs = search_args(args)
    previous_q = " ".join(args.get("previous_q", "").split())
    query = " ".join(args.get("q", "").split())
    chose_an_order = (args.get("sort") or "").strip() != (args.get("previous_sort") or "").strip()
    if query != previous_q and not chose_an_order:
        pairs = [pair for pair in pairs if pair[0] != "sort"]
    return search_url("public.search", MultiDict(pairs))


@public.get("/deliverables/<slug>")
def deliverable(slug):
    row = catalogue.get_deliverable(slug)
    if row is None:
        abort(404)
    if row.status == Status.UNPUBLISHED:
        return _unpublished(row)
    rows = presenters.summary_rows(row, _label, lambda name, value: url_for("public.search", **{name: value}))
    response = make_response(
        render_template(
            "public/deliverable.html",
            deliverable=row,
            rows=rows,
            back_url=_back_to_results(),
            history=publishing.public_history(get_session(), row),
            citation=citations.harvard(_citation(row)),
        )
    )
    response.vary.add("Referer")  # the back link depends on it, so caches must not share one copy
    return response


def _unpublished(row):
    """Published in error: a redirect to the deliverable that replaces it, or 410 with the reason."""
    if row.replaced_by:
        return redirect(url_for("public.deliverable", slug=row.replaced_by), 301)
    return error_page(410, row.unpublished_reason)


def _back_to_results() -> str | None:
    """The search the reader came from (this site's own search page, from the Referer header the
    Referrer-Policy lets through for same-origin links), so "Back to results" keeps it."""
    try:
        referrer = urlsplit(request.referrer or "")
    except ValueError:  # not a URL at all (e.g. "http://[::1"): no way back to offer
        return None
    ours = {request.host, urlsplit(current_app.config.get("PUBLIC_URL") or "").netloc} - {""}
    if referrer.netloc in ours and referrer.path == url_for("public.search"):
        return url_for("public.search") + (f"?{referrer.query}" if referrer.query else "")
    return None


@public.get("/deliverables/<slug>.md")
def deliverable_source(slug):
    row = catalogue.get_deliverable(slug)
    if row is None or row.status != Status.PUBLISHED:
        abort(404 if row is None else 410)
    response = Response(row.markdown, mimetype="text/markdown")
    response.headers.set("Content-Disposition", "attachment", filename=f"{row.slug}.md")
    return response


#: Citation formats: (function, media type, file extension).
CITATION_FORMATS = {
    "txt": (citations.harvard, "text/plain"),
    "bib": (citations.bibtex, "application/x-bibtex"),
    "ris": (citations.ris, "application/x-research-info-systems"),
}


@public.get("/deliverables/<slug>/cite.<extension>")
def citation(slug, extension):
    """How to cite a deliverable, as a file a reference manager imports. Withdrawn deliverables
    stay citable (the citation says so); unpublished ones answer as their page does."""
    if extension not in CITATION_FORMATS:
        abort(404)
    row = catalogue.get_deliverable(slug)
    if row is None:
        abort(404)
    if row.status == Status.UNPUBLISHED:
        return _unpublished(row)
    write, media_type = CITATION_FORMATS[extension]
    text = write(_citation(row))
    response = Response(text if text.endswith("\n") else text + "\n", mimetype=media_type)
    response.headers.set("Content-Disposition", "attachment", filename=f"{row.slug}.{extension}")
    return response


def _citation(row) -> citations.Citation:
    withdrawn = row.withdrawn_at.date() if row.status == Status.WITHDRAWN and row.withdrawn_at else None
    return citations.Citation(
        slug=row.slug,
        title=row.title,
        authors=tuple(row.provider),
        published=row.published,
        kind=_label("deliverable_type", row.deliverable_type),
        prepared_for=row.organisation,
        url=public_url(url_for("public.deliverable", slug=row.slug)),
        accessed=dt.datetime.now(dt.UTC).date(),
        withdrawn=withdrawn,
    )


@public.get("/sectors/<slug>")
def sector(slug):
    return _topic("sector", slug)


@public.get("/legal-forms/<slug>")
def legal_form(slug):
    return _topic("legal_form", slug)


def _topic(name: str, slug: str):
    vocabulary = catalogue.vocabularies()[name]
    term = vocabulary.term(slug)
    if term is None:
        abort(404)
    listing = catalogue.search(SearchRequest(filters={name: (slug,)}, sort="newest", per_page=10))
    return render_template(
        "public/topic.html",
        name=name,
        vocabulary=vocabulary,
        term=term,
        listing=listing,
        search_href=url_for("public.search", **{name: slug}),
    )


@public.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links; answer with our own icon."""
    return current_app.send_static_file("dist/images/favicon-32.png")


@public.get("/about")
def about():
    return render_template("public/about.html")


@public.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html")


@public.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@public.get("/cookies")
def cookies():
    return render_template("public/cookies.html")
