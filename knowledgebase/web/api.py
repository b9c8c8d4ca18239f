"""The unversioned JSON API (contract §4): /api/search and /api/deliverables/<slug>, kept working
for scripts written before /api/v1, and the API's description, /api/openapi.json.

It answers as /api/v1 does, with one difference: parameters it does not know are ignored, each
named in the answer's `warnings`. Every answer is JSON, errors included: 400 names the bad
parameter, 404 says what was not found.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from .. import catalogue
from ..search.params import SEARCH_PARAMETERS, ParameterError, parse_search_args, unknown_parameters
from . import api_json
from .api_common import deliverable_answer, json_error
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
    ignored = warnings(SEARCH_PARAMETERS)
    return jsonify(
        {
            **answer,
            "warnings": ignored + api_json.provider_warnings(listing, catalogue.vocabularies().providers),
        }
    )


@api.get("/deliverables/<slug>")
def deliverable(slug):
    return deliverable_answer(slug, warnings=warnings())


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(catalogue.vocabularies()))
