"""HTML pages: search with facets, a deliverable, its Markdown source, and the error pages.

Every state of the search page lives in the URL, and the page works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from .. import catalogue
from ..search import SORTS
from ..search.params import ParameterError, parse_search_args
from .api import http_error as api_http_error
from .api import unexpected_error as api_unexpected_error

pages = Blueprint("pages", __name__, template_folder="templates")

SORT_LABELS = {
    "relevance": "Best match",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A to Z",
}


@pages.get("/")
@pages.get("/search")
def search():
    try:
        search_request = parse_search_args(request.args, catalogue.vocabularies())
    except ParameterError as error:
        return render_template(
            "error.html",
            status=400,
            title="There is a problem with the search",
            message=f"{error.parameter}: {error.message}",
        ), 400
    listing = catalogue.search(search_request)
    return render_template(
        "search.html",
        listing=listing,
        sorts=SORTS,
        sort_labels=SORT_LABELS,
        vocabularies=catalogue.vocabularies(),
    )


@pages.get("/deliverables/<slug>")
def deliverable(slug):
    row = _published_or_abort(slug)
    return render_template("deliverable.html", deliverable=row, vocabularies=catalogue.vocabularies())


@pages.get("/deliverables/<slug>.md")
def deliverable_source(slug):
    row = _published_or_abort(slug)
    return Response(
        row.markdown,
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{row.slug}.md"'},
    )


def _published_or_abort(slug):
    row = catalogue.get_deliverable(slug)
    if row is None:
        abort(404)
    if row.status != "published":
        abort(410)
    return row


@pages.app_template_global()
def search_url(**changes):
    """This search's URL with some parameters changed: `add=(name, value)`, `remove=(name, value)`,
    or `name=value` to replace (None drops it). Changing the filters goes back to page 1."""
    args = request.args.copy()
    add = changes.pop("add", None)
    remove = changes.pop("remove", None)
    if add:
        args.setlist(add[0], [*args.getlist(add[0]), add[1]])
    if remove:
        args.setlist(remove[0], [value for value in args.getlist(remove[0]) if value != remove[1]])
    if add or remove:
        args.pop("page", None)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    query = urlencode([(name, value) for name, values in args.lists() for value in values])
    return url_for("pages.search") + ("?" + query if query else "")


@pages.app_template_filter()
def label(slug, vocabulary):
    """The label of a vocabulary value, for templates: {{ d.region|label('region') }}."""
    if slug is None:
        return ""
    return catalogue.vocabularies()[vocabulary].label_for(slug)


ERROR_TITLES = {
    400: "There is a problem with the request",
    404: "Page not found",
    405: "Method not allowed",
    410: "This advice has been withdrawn",
    500: "Sorry, there is a problem with the service",
}
ERROR_MESSAGES = {
    404: "If you typed the web address, check it is correct. If you followed a link, the advice may "
    "have moved: try searching for it.",
    410: "The adviser or the programme has withdrawn this deliverable. It is no longer published.",
    500: "Try again later. The problem has been logged.",
}


def register_error_pages(app):
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return api_http_error(error)
        status = error.code or 500
        return render_template(
            "error.html",
            status=status,
            title=ERROR_TITLES.get(status, error.name),
            message=ERROR_MESSAGES.get(status, error.description),
        ), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        current_app.logger.exception("unexpected error")
        if request.path.startswith("/api/"):
            return api_unexpected_error(error)
        return render_template(
            "error.html", status=500, title=ERROR_TITLES[500], message=ERROR_MESSAGES[500]
        ), 500
