"""The API's OpenAPI 3.1 description, built from the code it describes so it cannot drift.

Deliverable properties come from the field registry (`fields.FIELDS`), search parameters from
`SEARCH_PARAMETERS` and the seam's constants, and vocabulary slugs become enums where only a slug
is accepted or given (answers' values, the topic twins' addresses, vocabulary names); filters
also take labels and aliases, so there the slugs are examples, not an enum. The human page at
/api is rendered from this same document (`templates/api/index.html`).
"""

from __future__ import annotations

from .. import fields, licences
from ..search import DIMENSIONS, FACETS, MAX_PER_PAGE, SORTS, VOCABULARY_FILTERS
from ..search.params import MAX_PAGE, YEARS
from ..vocab import VOCABULARY_NAMES
from .api_json import DATES

Kind = fields.Kind
JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, required=None) -> dict:
    """An object schema with these properties, every one required unless `required` says which."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }


def field_schema(spec: fields.Field, vocabularies) -> dict:
    """The JSON Schema of one registry field's value as answers give it."""
    if spec.kind is Kind.VOCABULARY:
        one = {"type": "string", "enum": list(vocabularies[spec.name].slugs)}
    elif spec.kind is Kind.DATE:
        one = {"type": "string", "format": "date"}
    elif spec.kind is Kind.MONEY:
        one = {"type": "integer", "minimum": 0}
    elif spec.kind is Kind.LICENCE:
        one = {"type": "string", "enum": [licence.id for licence in licences.LICENCES]}
    else:
        one = {"type": "string"}
    if spec.max_length and one["type"] == "string" and "enum" not in one:
        one["maxLength"] = spec.max_length
    if spec.many:
        return {"type": "array", "items": one, "description": spec.label}
    schema = one if spec.required else _nullable(one)
    return {**schema, "description": spec.label}


def schemas(vocabularies) -> dict:
    deliverable_properties = {
        "slug": {"type": "string", "description": "Its address on the site is /deliverables/{slug}"},
        "url": {"type": "string", "description": "Its page, root-relative"},
        **{spec.name: field_schema(spec, vocabularies) for spec in fields.FIELDS if spec.name != "slug"},
        **{
            name: {"type": "string", "format": "date-time", "description": description}
            for name, description in zip(
                DATES,
                ("When it first appeared on this site (UTC)", "When its text last changed (UTC)"),
                strict=True,
            )
        },
    }
    deliverable = _object(deliverable_properties)
    result = _object(
        {
            **deliverable_properties,
            "snippet": _nullable(
                {"type": "string", "description": "Safe HTML: text escaped, only <mark> added"}
            ),
            "score": _nullable({"type": "number"}),
        }
    )
    facet_option = _object(
        {
            "value": {"type": "string"},
            "label": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        }
    )
    link = _nullable(
        {"type": "string", "format": "uri", "description": "Absolute address of that page; null at the ends"}
    )
    search = _object(
        {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 0, "maximum": MAX_PER_PAGE},
            "pages": {"type": "integer", "minimum": 1},
            "next": link,
            "prev": link,
            "sort": {"type": "string", "enum": list(SORTS)},
            "results": {"type": "array", "items": _ref("Result")},
            "facets": _object({name: {"type": "array", "items": _ref("FacetOption")} for name in FACETS}),
            "suggestion": _nullable({"type": "string"}),
            "matched": {"type": "string", "enum": ["all", "any"]},
        }
    )
    warning = _object({"parameter": {"type": "string"}, "message": {"type": "string"}})
    warnings = {
        "type": "array",
        "items": _ref("Warning"),
        "description": "Each provider asked for that is neither listed nor named by any deliverable "
        "found (with the nearest name, if one is close), and on the unversioned API each parameter "
        "that was ignored; [] when none",
    }
    full = _object(
        {
            **deliverable_properties,
            "html": {"type": "string", "description": "The text as sanitised HTML"},
            "markdown": {"type": "string", "description": "The source file, front matter included"},
            "toc": {
                "type": "array",
                "items": _object(
                    {"level": {"type": "integer"}, "anchor": {"type": "string"}, "title": {"type": "string"}}
                ),
            },
            "withdrawn": _nullable(
                _object(
                    {
                        "date": _nullable({"type": "string", "format": "date"}),
                        "reason": _nullable(
                            {
                                "type": "string",
                                "description": "Why, for readers (null for deliverables withdrawn "
                                "before reasons were kept)",
                            }
                        ),
                    }
                )
            ),
        }
    )
    error = _object(
        {
            "error": _object(
                {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "parameter": {"type": "string", "description": "The (first) parameter at fault"},
                    "parameters": {"type": "array", "items": {"type": "string"}},
                    "replaced_by": _nullable({"type": "string"}),
                },
                required=["status", "message"],
            )
        }
    )
    vocabulary = _object(
        {
            "name": {"type": "string", "enum": list(VOCABULARY_NAMES)},
            "label": {"type": "string"},
            "values": {
                "type": "array",
                "items": _object(
                    {
                        "slug": {"type": "string"},
                        "label": {"type": "string"},
                        "aliases": {"type": "array", "items": {"type": "string"}},
                        "description": {"type": "string"},
                    }
                ),
            },
        }
    )
    axis = _object(
        {
            "name": {"type": "string", "enum": list(DIMENSIONS)},
            "label": {"type": "string"},
            "values": {
                "type": "array",
                "items": _object(
                    {
                        "value": {"type": "string"},
                        "label": {"type": "string"},
                        "total": {"type": "integer", "minimum": 0},
                    }
                ),
            },
        }
    )
    count = {"type": "integer", "minimum": 0}
    evidence_map = _object(
        {
            "query": {"type": "string"},
            "rows": _ref("Axis"),
            "columns": _ref("Axis"),
            "cells": {
                "type": "array",
                "items": {"type": "array", "items": count},
                "description": "cells[i][j]: deliverables with the i-th row value and the j-th column value",
            },
            "total": count,
            "largest": count,
            "gaps": count,
        }
    )
    labelled_counts = {
        "type": "array",
        "items": _object({"value": {"type": "string"}, "label": {"type": "string"}, "count": count}),
    }
    median = _nullable({"type": "number"})
    award_group = {"known": count, "total": count, "median": {"type": "number"}}
    statistics = _object(
        {
            "total": count,
            "by_year": labelled_counts,
            "by_programme": labelled_counts,
            "by_sector": labelled_counts,
            "by_legal_form": labelled_counts,
            "awards": _object(
                {
                    "known": count,
                    "total": count,
                    "median": median,
                    "by_year": {
                        "type": "array",
                        "items": _object({"year": {"type": "string"}, **award_group}),
                    },
                    "by_programme": {
                        "type": "array",
                        "items": _object(
                            {"value": {"type": "string"}, "label": {"type": "string"}, **award_group}
                        ),
                    },
                }
            ),
        }
    )
    search["properties"]["warnings"] = warnings
    search["required"].append("warnings")
    legacy_search = search
    legacy_full = {**full, "properties": {**full["properties"], "warnings": warnings}}
    legacy_full["required"] = [*full["required"], "warnings"]
    return {
        "Deliverable": deliverable,
        "Result": result,
        "FacetOption": facet_option,
        "SearchAnswer": search,
        "FullDeliverable": full,
        "Warning": warning,
        "LegacySearchAnswer": legacy_search,
        "LegacyFullDeliverable": legacy_full,
        "Error": error,
        "Vocabulary": vocabulary,
        "Vocabularies": _object({"vocabularies": {"type": "array", "items": _ref("Vocabulary")}}),
        "Axis": axis,
        "EvidenceMap": evidence_map,
        "Statistics": statistics,
        "OpenAPIDocument": _object(
            {
                "openapi": {"type": "string", "const": "3.1.0"},
                "info": {"type": "object"},
                "paths": {"type": "object"},
                "components": {"type": "object"},
            }
        ),
    }


def search_parameters(vocabularies, *, min_per_page: int = 0, without: str | None = None) -> list[dict]:
    """The search's query-string parameters, in `SEARCH_PARAMETERS` order."""

    def query(name, schema, description, **more):
        return {"name": name, "in": "query", "schema": schema, "description": description, **more}

    listed = []
    listed.append(query("q", {"type": "string"}, "Free text; never an error, whatever its syntax"))
    for name in fields.FILTERS:
        if name == without:
            continue
        spec = fields.field(name)
        if name in VOCABULARY_FILTERS:
            slugs = list(vocabularies[name].slugs)
            description = (
                f"{spec.label}: a slug, label or alias from /api/v1/vocabularies/{name}; repeat for "
                f"any of several (OR). Slugs: {', '.join(slugs)}"
            )
            example = slugs[:1]
        else:
            description = f"{spec.label}: a name or listed alias, in any case; repeat for any of several (OR)"
            example = None
        listed.append(
            query(
                name,
                {"type": "array", "items": {"type": "string"}},
                description,
                style="form",
                explode=True,
                **({"example": example} if example else {}),
            )
        )
    low, high = YEARS
    for name, side in (
        ("year_from", "from"),
        ("year_to", "up to"),
    ):
        listed.append(
            query(
                name, {"type": "integer", "minimum": low, "maximum": high}, f"Advice given {side} this year"
            )
        )
    listed.append(
        query(
            "sort",
            {"type": "string", "enum": list(SORTS)},
            "The order: relevance (the default with q), newest (the default without), oldest, title, "
            "or added (newest on this site first)",
        )
    )
    listed.append(
        query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number, from 1")
    )
    listed.append(
        query(
            "per_page",
            {"type": "integer", "minimum": min_per_page, "maximum": MAX_PER_PAGE},
            "Results a page (default 20)"
            + ("; 0 for the total and facets alone" if min_per_page == 0 else ""),
        )
    )
    return listed


def _responses(ok: str, *errors: int, description: str = "The answer") -> dict:
    headers = {
        "ETag": {"schema": {"type": "string"}, "description": "Weak; send it back in If-None-Match"},
        "Cache-Control": {"schema": {"type": "string"}},
        "Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}},
    }
    error_descriptions = {
        400: "A parameter it cannot take; the error names it",
        404: "Not found",
        410: "Published in error and removed; replaced_by gives the replacement, if any",
        429: "Too many requests; wait Retry-After seconds",
    }
    answer = {
        "200": {"description": description, "headers": headers, "content": {JSON: {"schema": _ref(ok)}}},
        "304": {"description": "Not modified since the ETag sent in If-None-Match"},
    }
    for status in (*errors, 429):
        answer[str(status)] = {
            "description": error_descriptions[status],
            "content": {JSON: {"schema": _ref("Error")}},
        }
    return answer


def _path_parameter(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string"},
        "description": description,
    }


def operations(vocabularies) -> dict:
    """Every path the document describes, v1 first."""
    dimension = {"type": "string", "enum": list(DIMENSIONS)}
    search = search_parameters(vocabularies)
    slug = _path_parameter("slug", "The deliverable's slug")
    paths = {
        "/api/v1/search": {
            "summary": "Search the deliverables",
            "description": "Results, facet counts, pages and links to the next and previous pages. "
            "Unknown parameters are a 400 naming them.",
            "parameters": search,
            "responses": _responses("SearchAnswer", 400),
        },
        "/api/v1/deliverables/{slug}": {
            "summary": "One deliverable",
            "description": "Every field, its text as HTML and Markdown, its contents and whether it "
            "is withdrawn. A withdrawn deliverable still answers 200.",
            "parameters": [slug],
            "responses": _responses("FullDeliverable", 400, 404, 410),
        },
        "/api/v1/vocabularies": {
            "summary": "The glossary: every vocabulary",
            "description": "Each vocabulary's values with their labels, aliases and plain-English "
            "descriptions.",
            "parameters": [],
            "responses": _responses("Vocabularies", 400),
        },
        "/api/v1/vocabularies/{name}": {
            "summary": "One vocabulary",
            "description": "One vocabulary of the glossary.",
            "parameters": [
                _path_parameter("name", "The vocabulary", {"type": "string", "enum": list(VOCABULARY_NAMES)})
            ],
            "responses": _responses("Vocabulary", 400, 404),
        },
        "/api/v1/evidence-map": {
            "summary": "The evidence map of a search",
            "description": "How many matching deliverables have each pair of values of two dimensions, "
            "as a dense matrix with zeros (the gaps). page, per_page and sort are accepted so a "
            "search's address can be reused, and change nothing.",
            "parameters": [
                *search,
                {"name": "rows", "in": "query", "schema": dimension, "description": "Rows (default sector)"},
                {
                    "name": "columns",
                    "in": "query",
                    "schema": dimension,
                    "description": "Columns (default legal_form)",
                },
            ],
            "responses": _responses("EvidenceMap", 400),
        },
        "/api/v1/statistics": {
            "summary": "The collection's statistics",
            "description": "Deliverables per year, programme, sector and legal form; award values "
            "(whole pounds) in all, per year and per programme, where deliverables give them.",
            "parameters": [],
            "responses": _responses("Statistics", 400),
        },
        "/search.json": {
            "summary": "The search page's data",
            "description": "Exactly the answer of /api/v1/search for the same parameters.",
            "parameters": search,
            "responses": _responses("SearchAnswer", 400),
        },
    }
    for address, name in (("sectors", "sector"), ("legal-forms", "legal_form")):
        label = fields.field(name).label.lower()
        paths[f"/{address}/{{slug}}.json"] = {
            "summary": f"A {label}'s page's data",
            "description": f"Exactly the answer of /api/v1/search with {name} set to the {label} in "
            f"the address; {name} may not be given again.",
            "parameters": [
                _path_parameter(
                    "slug", f"The {label}", {"type": "string", "enum": list(vocabularies[name].slugs)}
                ),
                *search_parameters(vocabularies, without=name),
            ],
            "responses": _responses("SearchAnswer", 400, 404),
        }
    paths["/api/search"] = {
        "summary": "Search (unversioned)",
        "description": "As /api/v1/search, but unknown parameters are ignored and named in warnings, "
        "and per_page is at least 1.",
        "parameters": search_parameters(vocabularies, min_per_page=1),
        "responses": _responses("LegacySearchAnswer", 400),
    }
    paths["/api/deliverables/{slug}"] = {
        "summary": "One deliverable (unversioned)",
        "description": "As /api/v1/deliverables/{slug}, with warnings for any parameter.",
        "parameters": [slug],
        "responses": _responses("LegacyFullDeliverable", 404, 410),
    }
    paths["/api/openapi.json"] = {
        "summary": "This description",
        "description": "The API in OpenAPI 3.1, this document; counted towards the rate limit like "
        "every other address here.",
        "parameters": [],
        "responses": _responses("OpenAPIDocument", description="This document"),
    }
    return paths


def openapi_document(vocabularies) -> dict:
    paths = {}
    for path, operation in operations(vocabularies).items():
        paths[path] = {"get": {"operationId": _operation_id(path), **operation}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mutuals knowledge base API",
            "version": "1",
            "description": "Published advice given to UK public service mutuals: search it, read it, "
            "and see where advice exists and where it does not. Read-only, no key needed; any "
            "origin may call it (CORS). Human documentation: /api.",
            "license": {"name": "Open Government Licence v3.0", "identifier": "OGL-UK-3.0"},
        },
        "paths": paths,
        "components": {"schemas": schemas(vocabularies)},
    }


def _operation_id(path: str) -> str:
    words = path.replace(".json", " json").replace("{", "").replace("}", "").replace("-", "_")
    return "_".join(part for part in words.replace("/", " ").split() if part)
