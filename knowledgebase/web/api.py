"""The JSON API (contract §4): /api/search and /api/deliverables/<slug>.

Every answer is JSON, errors included: 400 names the bad parameter, 404 says what was not found.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import catalogue
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
    if row.status != "published":
        return _error(410, f"the deliverable {slug!r} has been withdrawn")
    return jsonify(
        {
            **deliverable_json(row),
            "html": row.body_html,
            "markdown": row.markdown,
            "toc": row.toc,
            "licence": row.licence,
            "award_value": row.award_value,
            "tags": row.tags,
        }
    )


def deliverable_json(row) -> dict:
    return {
        "slug": row.slug,
        "url": f"/deliverables/{row.slug}",
        "title": row.title,
        "summary": row.summary,
        "organisation": row.organisation,
        "sector": row.sector,
        "legal_form": row.legal_form,
        "deliverable_type": row.deliverable_type,
        "provider": row.provider,
        "programme": row.programme,
        "region": row.region,
        "stage": row.stage,
        "published": row.published.isoformat(),
    }


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
