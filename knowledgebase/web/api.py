"""The JSON API (contract §4): /api/search and /api/deliverables/<slug>.

Every answer is JSON, errors included: 400 names the bad parameter, 404 says what was not found.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import catalogue, fields
from ..models import Status
from ..search.params import ParameterError, parse_search_args

api = Blueprint("api", __name__)


@api.get("/search")
def search():
    try:
        search_request = parse_search_args(request.args, catalogue.vocabularies())
    except ParameterError as error:
        return _error(400, error.message, parameter=error.parameter)
    listing = catalogue.search(search_request)
    return jsonify(listing_json(listing))


@api.get("/deliverables/<slug>")
def deliverable(slug):
    row = catalogue.get_deliverable(slug)
    if row is None:
        return _error(404, f"no deliverable has the slug {slug!r}")
    if row.status == Status.UNPUBLISHED:
        replacement = f"/deliverables/{row.replaced_by}" if row.replaced_by else None
        return _error(
            410,
            row.unpublished_reason or "this deliverable was published in error and has been removed",
            replaced_by=replacement,
        )
    return jsonify(
        {
            **deliverable_json(row, fields.FIELDS),
            "html": row.body_html,
            "markdown": row.markdown,
            "toc": row.toc,
            "first_published_at": row.first_published_at.isoformat() + "Z",
            "last_changed_at": row.last_changed_at.isoformat() + "Z",
            "withdrawn": withdrawn_json(row),
        }
    )


def deliverable_json(row, specs=fields.RESULT_FIELDS) -> dict:
    """A deliverable's fields as the API gives them, from the field registry."""
    answer = {"slug": row.slug, "url": f"/deliverables/{row.slug}"}
    for spec in specs:
        if spec.name != "slug":
            answer[spec.name] = spec.json_value(getattr(row, spec.name))
    return answer


def withdrawn_json(row) -> dict | None:
    """None for a published deliverable; when and why it was withdrawn otherwise (the date is
    null for deliverables withdrawn before dates were kept)."""
    if row.status == "published":
        return None
    when = row.withdrawn_at
    return {"date": when.date().isoformat() if when else None, "reason": row.withdrawn_reason}


def listing_json(listing) -> dict:
    req = listing.request
    return {
        "query": req.q,
        "total": listing.total,
        "page": req.page,
        "per_page": req.per_page,
        "sort": req.effective_sort,
        "results": [
            {**deliverable_json(result.deliverable), "snippet": result.hit.snippet, "score": result.hit.score}
            for result in listing.results
        ],
        "facets": {
            facet.name: [
                {
                    "value": option.value,
                    "label": option.label,
                    "count": option.count,
                    "selected": option.selected,
                }
                for option in facet.options
            ]
            for facet in listing.facets
        },
        "suggestion": listing.suggestion,
        "matched": listing.matched,
    }


def _error(status: int, message: str, **extra):
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response


@api.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return _error(error.code or 500, error.description or error.name)


@api.errorhandler(Exception)
def unexpected_error(error: Exception):
    from flask import current_app

    current_app.logger.exception("unexpected error in the API")
    return _error(500, "something went wrong on our side; it has been logged")
