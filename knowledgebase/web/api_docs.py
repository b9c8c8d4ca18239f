"""The API's page for people, /api: every endpoint, its parameters and example requests, rendered
by our own template from the same OpenAPI document scripts read at /api/openapi.json, so the
two cannot disagree."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from .. import catalogue
from ..search import SearchRequest
from .openapi import openapi_document

api_docs = Blueprint("api_docs", __name__, template_folder="templates")

#: Requests worth trying, by path in the document (each a root-relative address).
EXAMPLES = {
    "/api/v1/search": [
        "/api/v1/search?q=pensions&sector=libraries",
        "/api/v1/search?legal_form=cic&per_page=0",
    ],
    "/api/v1/deliverables/{slug}": [],
    "/api/v1/vocabularies": ["/api/v1/vocabularies"],
    "/api/v1/vocabularies/{name}": ["/api/v1/vocabularies/legal_form"],
    "/api/v1/evidence-map": [
        "/api/v1/evidence-map",
        "/api/v1/evidence-map?rows=programme&columns=year&q=tupe",
    ],
    "/api/v1/statistics": ["/api/v1/statistics"],
    "/search.json": ["/search.json?q=asset+lock&per_page=5&page=2"],
    "/sectors/{slug}.json": ["/sectors/libraries.json"],
    "/legal-forms/{slug}.json": ["/legal-forms/community-interest-company.json?sort=oldest"],
    "/api/search": ["/api/search?q=pensions"],
    "/api/deliverables/{slug}": [],
}


@api_docs.get("/api")
def index():
    document = openapi_document(catalogue.vocabularies())
    examples = dict(EXAMPLES)
    newest = catalogue.search(SearchRequest(sort="newest", per_page=1)).results
    if newest:
        slug = newest[0].deliverable.slug
        examples["/api/v1/deliverables/{slug}"] = [f"/api/v1/deliverables/{slug}"]
        examples["/api/deliverables/{slug}"] = [f"/api/deliverables/{slug}"]
    return render_template("api/index.html", document=document, examples=examples)


@api_docs.get("/api/")
def index_with_slash():
    return redirect(url_for("api_docs.index"), 301)
