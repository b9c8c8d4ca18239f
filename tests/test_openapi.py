"""The OpenAPI document is the code's (field registry, search parameters, vocabularies), the page
for people shows all of it, and schemathesis finds no 500 and no answer outside the schema."""

import pytest
import schemathesis
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from knowledgebase import fields
from knowledgebase.search import DIMENSIONS, FACETS
from knowledgebase.search.params import SEARCH_PARAMETERS
from knowledgebase.vocab import VOCABULARY_NAMES, load_vocabularies
from knowledgebase.web.openapi import operations

from .conftest import SAMPLE_CONTENT, VOCABULARIES, backend_of, ingest_into, make_app
from .pages import get_page


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("openapi")
    app = make_app(tmp_path, API_RATE_LIMIT="100000 per minute")
    assert ingest_into(app, SAMPLE_CONTENT).ok
    yield app
    backend_of(app).close()


@pytest.fixture(scope="module")
def document(sample):
    response = sample.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_it_is_openapi_3_1_describing_every_api_route(document, sample):
    assert document["openapi"] == "3.1.0"
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in sample.url_map.iter_rules()
        if rule.endpoint.startswith(("api_v1.", "json_twins.", "api."))
    }
    assert routes == set(document["paths"])
    assert "/api/openapi.json" in routes  # it describes itself


def test_withdrawn_and_the_contents_are_described_exactly(document):
    full = document["components"]["schemas"]["FullDeliverable"]["properties"]
    withdrawn = next(option for option in full["withdrawn"]["anyOf"] if option.get("type") == "object")
    reason = withdrawn["properties"]["reason"]
    assert sorted(option["type"] for option in reason["anyOf"]) == ["null", "string"]
    assert set(full["toc"]["items"]["required"]) == {"level", "anchor", "title"}


def test_results_have_every_field_of_the_registry(document):
    result = document["components"]["schemas"]["Result"]
    assert {spec.name for spec in fields.FIELDS} <= set(result["properties"])
    assert {spec.name for spec in fields.FIELDS} <= set(result["required"])
    assert {"first_published_at", "last_changed_at", "snippet", "score"} <= set(result["required"])


def test_the_search_parameters_are_search_parameters(document):
    names = [parameter["name"] for parameter in document["paths"]["/api/v1/search"]["get"]["parameters"]]
    assert names == list(SEARCH_PARAMETERS)
    per_page = document["paths"]["/api/v1/search"]["get"]["parameters"][-1]["schema"]
    assert per_page["minimum"] == 0
    legacy = document["paths"]["/api/search"]["get"]["parameters"][-1]["schema"]
    assert legacy["minimum"] == 1
    topic = [p["name"] for p in document["paths"]["/sectors/{slug}.json"]["get"]["parameters"]]
    assert topic == ["slug", *(name for name in SEARCH_PARAMETERS if name != "sector")]
    evidence = [p["name"] for p in document["paths"]["/api/v1/evidence-map"]["get"]["parameters"]]
    assert evidence == [*SEARCH_PARAMETERS, "rows", "columns"]
    assert document["paths"]["/api/v1/evidence-map"]["get"]["parameters"][-1]["schema"]["enum"] == list(
        DIMENSIONS
    )


def test_vocabulary_slugs_are_enums_where_only_slugs_are_taken(document, vocabularies):
    schemas = document["components"]["schemas"]
    for name in VOCABULARY_NAMES:
        spec = fields.field(name)
        schema = schemas["Result"]["properties"][name]
        one = schema["items"] if spec.many else next(s for s in schema.get("anyOf", [schema]) if "enum" in s)
        assert one["enum"] == list(vocabularies[name].slugs)
    sector_twin = document["paths"]["/sectors/{slug}.json"]["get"]["parameters"][0]
    assert sector_twin["schema"]["enum"] == list(vocabularies["sector"].slugs)
    # Filters take labels and aliases too, so there the slugs are not an enum.
    sector = next(
        p for p in document["paths"]["/api/v1/search"]["get"]["parameters"] if p["name"] == "sector"
    )
    assert "enum" not in sector["schema"]["items"]
    assert set(schemas["SearchAnswer"]["properties"]["facets"]["required"]) == set(FACETS)


def test_the_page_for_people_lists_every_endpoint_and_parameter(sample, document):
    client = sample.test_client()
    soup = get_page(client, "/api")
    assert soup.h1.get_text(strip=True) == "API for developers and researchers"
    sections = {
        section.h2.get_text(strip=True).removeprefix("GET "): section
        for section in soup.select("section.app-api-endpoint")
    }
    assert sorted(sections) == sorted(document["paths"])
    assert list(sections)[0] == "/api/v1/search"
    for path, section in sections.items():
        names = [th.get_text(strip=True) for th in section.select("tbody th[scope=row]")]
        assert names == [parameter["name"] for parameter in document["paths"][path]["get"]["parameters"]], (
            path
        )
    assert soup.find("a", href="/api/openapi.json")
    for link in soup.select("section.app-api-endpoint a[href^='/']"):
        response = client.get(link["href"])
        assert response.status_code == 200, link["href"]
        assert response.is_json


def test_the_page_is_linked_from_every_page_and_open_to_crawlers(sample):
    client = sample.test_client()
    footer = BeautifulSoup(client.get("/").data, "html.parser").select_one(".govuk-footer")
    link = footer.find("a", string="API for developers")
    assert link["href"] == "/api"
    robots = client.get("/robots.txt").get_data(as_text=True).splitlines()
    assert not any(
        line.startswith("Disallow:") and "/api".startswith(line.split(":", 1)[1].strip()) for line in robots
    )
    assert client.get("/api/").headers["Location"].endswith("/api")


@pytest.fixture(scope="module")
def api_schema(sample):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", sample)


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]
OPERATIONS = operations(load_vocabularies(VOCABULARIES))
#: Negative cases need a parameter that can be wrong: a number, an enum, a repeated value.
NEGATABLE = [
    path
    for path, operation in OPERATIONS.items()
    if any(parameter["schema"] != {"type": "string"} for parameter in operation["parameters"])
]
CASES = [(GenerationMode.POSITIVE, path) for path in OPERATIONS] + [
    (GenerationMode.NEGATIVE, path) for path in NEGATABLE
]


# Hypothesis is driven here rather than through schemathesis' pytest plugin, whose lazy fixture
# (schemathesis.pytest.from_fixture) sets a private attribute pytest 9 no longer has.
@pytest.mark.parametrize(("mode", "path"), CASES, ids=[f"{mode.value} {path}" for mode, path in CASES])
def test_no_request_gets_a_500_or_an_answer_outside_the_schema(api_schema, mode, path):
    @given(case=api_schema[path]["GET"].as_strategy(generation_mode=mode))
    @settings(
        max_examples=10,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(checks=CHECKS)

    check()
