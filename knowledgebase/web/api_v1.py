"""The versioned JSON API (contract §4) under /api/v1, and the `.json` twins of the listing pages.

Strict where the unversioned /api is lenient: a parameter an endpoint does not know is a 400
naming it, so `?sectors=libraries` is never silently everything. `/search.json`,
`/sectors/<slug>.json` and `/legal-forms/<slug>.json` give exactly `/api/v1/search`'s answer
(the topic ones with their filter added), so a page's address plus `.json` is its data.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from .. import catalogue, research
from ..search import check_dimension
from ..search.params import SEARCH_PARAMETERS, ParameterError, parse_search_args, unknown_parameters
from ..vocab import VOCABULARY_NAMES
from . import api_json
from .api_common import deliverable_answer, json_error
from .http_cache import serve_to_scripts

api_v1 = Blueprint("api_v1", __name__)
#: `.json` twins of the listing pages, at the pages' own addresses plus `.json`.
twins = Blueprint("json_twins", __name__)
serve_to_scripts(api_v1)
serve_to_scripts(twins)

EVIDENCE_MAP_PARAMETERS = (*SEARCH_PARAMETERS, "rows", "columns")
#: The topic pages with a twin: the filter each adds, by address.
TOPICS = {"sectors": "sector", "legal-forms": "legal_form"}


def refuse_unknown(known=()):
    """A 400 naming every parameter of the request that is not in `known`, or None."""
    unknown = unknown_parameters(request.args, known)
    if not unknown:
        return None
    accepted = ", ".join(known) if known else "none"
    return json_error(
        400,
        f"unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; accepted: {accepted}",
        parameter=unknown[0],
        parameters=unknown,
    )


def search_answer(args, *, known=SEARCH_PARAMETERS):
    """The versioned search's response for these arguments (a 400 for anything it cannot take)."""
    refused = refuse_unknown(known)
    if refused:
        return refused
    try:
        search_request = parse_search_args(args, catalogue.vocabularies(), min_per_page=0)
    except ParameterError as error:
        return json_error(400, error.message, parameter=error.parameter)
    listing = catalogue.search(search_request)
    answer = api_json.listing_json(listing, url_for("api_v1.search"))
    warnings = api_json.provider_warnings(listing, catalogue.vocabularies().providers)
    return jsonify({**answer, "warnings": warnings})


@api_v1.get("/search")
def search():
    return search_answer(request.args)


@api_v1.get("/deliverables/<slug>")
def deliverable(slug):
    refused = refuse_unknown()
    if refused:
        return refused
    return deliverable_answer(slug)


@api_v1.get("/vocabularies")
def vocabularies():
    refused = refuse_unknown()
    if refused:
        return refused
    return jsonify(
        {"vocabularies": [api_json.vocabulary_json(vocabulary) for vocabulary in catalogue.vocabularies()]}
    )


@api_v1.get("/vocabularies/<name>")
def vocabulary(name):
    refused = refuse_unknown()
    if refused:
        return refused
    if name not in VOCABULARY_NAMES:
        return json_error(
            404, f"no vocabulary is called {name[:80]!r}; there are: {', '.join(VOCABULARY_NAMES)}"
        )
    return jsonify(api_json.vocabulary_json(catalogue.vocabularies()[name]))


@api_v1.get("/evidence-map")
def evidence_map():
    refused = refuse_unknown(EVIDENCE_MAP_PARAMETERS)
    if refused:
        return refused
    axes = {}
    for side, default in (("rows", research.DEFAULT_ROWS), ("columns", research.DEFAULT_COLUMNS)):
        if len(request.args.getlist(side)) > 1:
            return json_error(400, f"give {side} once: it is one dimension", parameter=side)
        try:
            axes[side] = check_dimension((request.args.get(side) or "").strip() or default)
        except ValueError as error:
            return json_error(400, str(error), parameter=side)
    try:
        search_request = parse_search_args(request.args, catalogue.vocabularies(), min_per_page=0)
    except ParameterError as error:
        return json_error(400, error.message, parameter=error.parameter)
    return jsonify(api_json.evidence_map_json(research.evidence_map(search_request, **axes)))


@api_v1.get("/statistics")
def statistics():
    refused = refuse_unknown()
    if refused:
        return refused
    return jsonify(api_json.statistics_json(research.statistics()))


@twins.get("/search.json")
def search_json():
    return search_answer(request.args)


@twins.get("/sectors/<slug>.json", defaults={"topic": "sectors"})
@twins.get("/legal-forms/<slug>.json", defaults={"topic": "legal-forms"})
def topic_json(topic, slug):
    """A sector's or legal form's search: its own filter comes from the address, so the query
    string may not give that parameter too."""
    name = TOPICS[topic]
    if catalogue.vocabularies()[name].term(slug) is None:
        return json_error(404, f"no {name.replace('_', ' ')} has the slug {slug[:80]!r}")
    args = MultiDict(request.args)
    own = name in args
    args.setlist(name, [slug])
    known = tuple(parameter for parameter in SEARCH_PARAMETERS if parameter != name)
    if own:
        return json_error(
            400,
            f"{name} is given by the address (/{topic}/{slug}.json); to combine it with others use "
            f"/search.json?{name}={slug}&{name}=...",
            parameter=name,
            parameters=[name],
        )
    return search_answer(args, known=known)
