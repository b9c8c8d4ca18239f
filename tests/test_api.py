"""The JSON API's shape (contract §4), its 400s and 404s, and that no input answers 500."""

import pytest

from .conftest import ingest_into

RESULT_KEYS = {
    "slug",
    "url",
    "title",
    "summary",
    "organisation",
    "sector",
    "legal_form",
    "deliverable_type",
    "provider",
    "programme",
    "region",
    "stage",
    "published",
    "snippet",
    "score",
}
FACET_NAMES = {"sector", "legal_form", "deliverable_type", "programme", "region", "stage", "year", "provider"}


@pytest.fixture
def filled(app, write):
    write("knowsley-youth-2013.md", body="# Plan\n\nPensions & TUPE <b>matter</b> for staff.\n")
    write(
        "libraries-2015.md",
        title="Library mutual options",
        sector=["libraries"],
        published="2015-05-01",
        legal_form=["community-benefit-society"],
        body="The asset lock of a BenCom.\n",
    )
    ingest_into(app, write.folder)
    return app


def test_search_answer_has_the_contract_shape(client, filled):
    answer = client.get("/api/search?q=pensions").get_json()
    assert {"query", "total", "page", "per_page", "results", "facets", "suggestion"} <= set(answer)
    assert (answer["query"], answer["total"], answer["page"], answer["per_page"]) == ("pensions", 1, 1, 20)
    result = answer["results"][0]
    assert RESULT_KEYS <= set(result)
    assert result["url"] == "/deliverables/knowsley-youth-2013"
    assert result["sector"] == ["youth-services"] and result["published"] == "2013-02-15"
    assert "<mark>Pensions</mark>" in result["snippet"] and "&amp;" in result["snippet"]
    assert isinstance(result["score"], float)
    assert set(answer["facets"]) == FACET_NAMES
    option = answer["facets"]["sector"][0]
    assert set(option) == {"value", "label", "count", "selected"}
    assert answer["facets"]["year"] == [{"value": "2013", "label": "2013", "count": 1, "selected": False}]


def test_facets_list_every_vocabulary_value_even_with_no_advice(client, filled):
    sectors = client.get("/api/search").get_json()["facets"]["sector"]
    assert len(sectors) == 16
    assert {s["value"]: s["count"] for s in sectors}["fire-and-rescue"] == 0


def test_deliverable_answer(client, filled):
    answer = client.get("/api/deliverables/knowsley-youth-2013").get_json()
    assert answer["slug"] == "knowsley-youth-2013"
    assert answer["markdown"].startswith("---\n")
    assert "<b>matter</b>" in answer["html"] and "Pensions &amp; TUPE" in answer["html"]
    assert answer["toc"][0]["title"] == "Plan"


def test_unknown_slug_is_a_json_404(client, filled):
    response = client.get("/api/deliverables/nope")
    assert response.status_code == 404 and response.is_json
    assert "nope" in response.get_json()["error"]["message"]
    assert client.get("/api/no-such-endpoint").status_code == 404
    assert client.get("/api/no-such-endpoint").is_json


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sector=space", "sector"),
        ("legal_form=plc", "legal_form"),
        ("deliverable_type=x", "deliverable_type"),
        ("programme=x", "programme"),
        ("region=mars", "region"),
        ("stage=x", "stage"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=101", "per_page"),
        ("per_page=-1", "per_page"),
        ("year_from=twenty", "year_from"),
        ("year_to=3000", "year_to"),
        ("year_from=2015&year_to=2012", "year_from"),
        ("sort=random", "sort"),
    ],
)
def test_bad_parameters_are_400s_naming_the_parameter(client, filled, query, parameter):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter
    assert error["message"]


def test_provider_filter_is_free_text(client, filled):
    assert client.get("/api/search?provider=Nobody").get_json()["total"] == 0
    assert client.get("/api/search?provider=Mutual+Ventures").get_json()["total"] == 2


def test_method_not_allowed_is_json(client, filled):
    response = client.post("/api/search")
    assert response.status_code == 405 and response.is_json


def test_empty_index_answers_empty_results(client):
    answer = client.get("/api/search?q=anything").get_json()
    assert answer["total"] == 0 and answer["results"] == []


def provider_warnings(client, url):
    answer = client.get(url).get_json()
    return [warning["message"] for warning in answer["warnings"] if warning["parameter"] == "provider"]


@pytest.mark.parametrize("path", ["/api/v1/search", "/search.json", "/api/search", "/sectors/libraries.json"])
def test_a_misspelt_provider_is_answered_with_a_warning_and_a_suggestion(client, filled, path):
    assert provider_warnings(client, f"{path}?provider=Mutual+Venturs") == [
        "‘Mutual Venturs’ is not a listed provider; did you mean ‘Mutual Ventures’?"
    ]
    assert client.get(f"{path}?provider=Mutual+Venturs").status_code == 200
    assert provider_warnings(client, f"{path}?provider=mutual+ventures") == []
    assert provider_warnings(client, f"{path}?provider=Mutual+Ventures+Ltd") == []  # an alias
    [nothing_like] = provider_warnings(client, f"{path}?provider=Zzyzx")
    assert nothing_like.startswith("‘Zzyzx’ is not a listed provider") and "did you mean" not in nothing_like


def test_an_unlisted_provider_that_deliverables_name_is_no_warning(app, client, write):
    write("small.md", provider=["Tiny Firm Ltd"])
    ingest_into(app, write.folder)
    assert provider_warnings(client, "/api/v1/search?provider=tiny+firm+ltd") == []
    assert client.get("/api/v1/search").get_json()["warnings"] == []
