"""The unversioned JSON API (contract §4): /api/search and /api/deliverables/<slug>, kept working
for scripts written before /api/v1, and the API's description, /api/openapi.json.

It answers as /api/v1 does, with one difference: parameters it does not know are ignored, each
named in the answer's `warnings`. Every answer is JSON, errors included: 400 names the bad
parameter, 404 says what was not found.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from .. import catalogue
from ..models import Status
from ..search.params import SEARCH_PARAMETERS, ParameterError, parse_search_args, unknown_parameters
from . import api_json
from .http_cache import serve_to_scripts
from .openapi import openapi_document

api = Blueprint("api", __name__)
serve_to_scripts(api)


def warnings(known=()) -> list[dict]:
    """One warning for each parameter this endpoint ignored."""
    return [
        {
            "parameter": name,
            "message": f"{name[:80]!r} is not a parameter of this endpoint and was ignored "
            "(/api/v1 refuses it with a 400)",
        }
        for name in unknown_parameters(request.args, known)
    ]


@api.get("/search")
def search():
    try:
        search_request = parse_search_args(request.args, catalogue.vocabularies())
    except ParameterError as error:
        return json_error(400, error.message, parameter=error.parameter)
    listing = catalogue.search(search_request)
    answer = api_json.listing_json(listing, url_for("api.search"))
    return jsonify({**answer, "warnings": warnings(SEARCH_PARAMETERS)})


@api.get("/deliverables/<slug>")
def deliverable(slug):
    return deliverable_answer(slug, warnings=warnings())


def deliverable_answer(slug: str, **more):
    """One deliverable's response (with `more` keys), or its 404 or 410; shared with /api/v1."""
    row = catalogue.get_deliverable(slug)
    if row is None:
        return json_error(404, f"no deliverable has the slug {slug!r}")
    if row.status == Status.UNPUBLISHED:
        replacement = f"/deliverables/{row.replaced_by}" if row.replaced_by else None
        return json_error(
            410,
            row.unpublished_reason or "this deliverable was published in error and has been removed",
            replaced_by=replacement,
        )
    return jsonify({**api_json.full_deliverable_json(row), **more})


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(catalogue.vocabularies()))


def json_error(status: int, message: str, **extra):
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response


@api.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return json_error(error.code or 500, error.description or error.name)


@api.errorhandler(Exception)
def unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error in the API")
    return json_error(500, "something went wrong on our side; it has been logged")
