"""The versioned API (contract §4) on the generated corpus: strict parameters against the
unversioned API's warnings, pages and links, per_page=0, CORS, ETags, the `.json` twins, the rate
limit, the glossary, and the evidence map and statistics checked by brute force."""

import itertools
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from sqlalchemy import select

from knowledgebase import accounts, audit, catalogue, fields, publishing
from knowledgebase.db import get_database
from knowledgebase.models import Deliverable
from knowledgebase.search import DIMENSIONS
from knowledgebase.web import http_cache

from .conftest import VOCABULARIES, backend_of, ingest_into, make_app
from .test_search import build_corpus, expected, random_requests, values_of, write_corpus
from .test_search_seam import brute_cells, passes

OLD_RESULT_KEYS = {
    "slug", "url", "title", "summary", "organisation", "sector", "legal_form", "deliverable_type",
    "provider", "programme", "region", "stage", "published", "snippet", "score",
}  # fmt: skip
OLD_SEARCH_KEYS = {"query", "total", "page", "per_page", "sort", "results", "facets", "suggestion", "matched"}


@pytest.fixture(scope="module")
def corpus(vocabularies):
    return build_corpus(vocabularies)


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, corpus):
    tmp_path = tmp_path_factory.mktemp("api-v1")
    write_corpus(tmp_path / "content", corpus)
    app = make_app(tmp_path)
    assert ingest_into(app, tmp_path / "content").ok
    yield app
    backend_of(app).close()


@pytest.fixture
def api(corpus_app):
    return corpus_app.test_client()


def query_string(keyword, filters, year_from, year_to) -> list[tuple[str, str]]:
    pairs = [("q", keyword)] if keyword else []
    pairs += [(name, value) for name, values in filters.items() for value in values]
    pairs += [(name, str(year)) for name, year in (("year_from", year_from), ("year_to", year_to)) if year]
    return pairs


def get_json(client, url, status=200, **params):
    response = client.get(url, query_string=params or None)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


# Unknown parameters: refused on /api/v1 and the twins, ignored with warnings on /api


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/search",
        "/search.json",
        "/sectors/libraries.json",
        "/legal-forms/community-interest-company.json",
        "/api/v1/evidence-map",
        "/api/v1/statistics",
        "/api/v1/vocabularies",
        "/api/v1/vocabularies/sector",
        "/api/v1/deliverables/doc-001",
    ],
)
def test_v1_and_the_twins_refuse_unknown_parameters_naming_each(api, url):
    error = get_json(api, f"{url}?sectors=libraries&q=x&utm_source=mail&sectors=health", 400)["error"]
    unknown = (
        ["sectors", "utm_source"] if url != "/api/v1/deliverables/doc-001" else ["sectors", "q", "utm_source"]
    )
    if url in ("/api/v1/statistics", "/api/v1/vocabularies", "/api/v1/vocabularies/sector"):
        unknown = ["sectors", "q", "utm_source"]
    assert error["parameters"] == unknown
    assert error["parameter"] == "sectors"
    assert "sectors" in error["message"] and "utm_source" in error["message"]


def test_the_unversioned_api_ignores_unknown_parameters_and_warns_of_each(api):
    answer = get_json(api, "/api/search?sectors=libraries&utm_source=mail&q=ballot")
    assert [warning["parameter"] for warning in answer["warnings"]] == ["sectors", "utm_source"]
    assert all("ignored" in warning["message"] for warning in answer["warnings"])
    assert answer["total"] == get_json(api, "/api/v1/search?q=ballot")["total"]
    assert get_json(api, "/api/search?q=ballot")["warnings"] == []
    single = get_json(api, "/api/deliverables/doc-001?format=full")
    assert single["warnings"][0]["parameter"] == "format" and single["slug"] == "doc-001"


def test_the_evidence_map_takes_rows_and_columns_and_the_search_parameters(api):
    get_json(api, "/api/v1/evidence-map?rows=year&columns=region&q=ballot&page=2&per_page=5&sort=title")
    error = get_json(api, "/api/v1/evidence-map?rows=provider", 400)["error"]
    assert error["parameter"] == "rows" and "provider" in error["message"]
    assert get_json(api, "/api/v1/evidence-map?row=sector", 400)["error"]["parameters"] == ["row"]


@pytest.mark.parametrize("side", ["rows", "columns"])
def test_the_evidence_map_refuses_a_repeated_axis(api, side):
    error = get_json(api, f"/api/v1/evidence-map?{side}=sector&{side}=region", status=400)["error"]
    assert error["parameter"] == side and "once" in error["message"]


def test_a_topic_twin_refuses_its_own_filter_again(api):
    error = get_json(api, "/sectors/libraries.json?sector=health", 400)["error"]
    assert error["parameter"] == "sector"
    assert get_json(api, "/sectors/no-such-sector.json", 404)["error"]["message"]
    assert get_json(api, "/legal-forms/libraries.json", 404)["error"]["status"] == 404


# Every field of the registry in results, the old answer's keys kept


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["/api/v1/search", "/api/search"])
def test_results_carry_every_field_of_the_registry_and_the_dates(tmp_path, database_url, write, url):
    app = make_app(tmp_path, database_url)
    client = app.test_client()
    write("one.md", award_value=93000, tags=["youth work", "TUPE"], licence="CC-BY-4.0")
    ingest_into(app, write.folder)
    answer = get_json(client, url)
    assert OLD_SEARCH_KEYS <= set(answer)
    result = answer["results"][0]
    assert OLD_RESULT_KEYS <= set(result)
    assert {spec.name for spec in fields.FIELDS} <= set(result)
    assert (result["award_value"], result["tags"], result["licence"]) == (
        93000,
        ["youth work", "TUPE"],
        "CC-BY-4.0",
    )
    assert result["first_published_at"].endswith("Z") and result["last_changed_at"].endswith("Z")
    single = get_json(client, url.replace("search", "deliverables/" + result["slug"]))
    assert {key: single[key] for key in result if key not in ("snippet", "score")} == {
        key: value for key, value in result.items() if key not in ("snippet", "score")
    }
    backend_of(app).close()
    get_database(app).dispose()


# Pages and links


def canonical(url):
    return urlsplit(url).path, sorted(parse_qsl(urlsplit(url).query))


def follow(client, url):
    answer = get_json(client, url)
    return answer, answer["next"], answer["prev"]


def test_next_links_walk_every_result_once_and_prev_links_walk_back(api, corpus):
    total = expected(corpus, "ballot")[0]
    url = "/api/v1/search?q=ballot&per_page=4&sort=title"
    seen, pages, visited = [], None, []
    while url:
        visited.append(url)
        answer, url, _ = follow(api, url)
        pages = answer["pages"]
        seen += [result["slug"] for result in answer["results"]]
    assert len(seen) == len(set(seen)) == total
    assert pages == len(visited) == -(-total // 4)
    # Back from the last page by prev links, through the same addresses.
    url, back = visited[-1], []
    while url:
        back.append(url)
        _, _, url = follow(api, url)
    assert [canonical(address) for address in back] == [canonical(address) for address in visited[::-1]]
    first = get_json(api, visited[0])
    assert first["prev"] is None and first["page"] == 1
    assert dict(parse_qsl(urlsplit(first["next"]).query)) == {
        "q": "ballot",
        "per_page": "4",
        "sort": "title",
        "page": "2",
    }
    assert urlsplit(first["next"]).path == "/api/v1/search"


def test_a_page_past_the_end_is_empty_and_links_back_to_the_last(api):
    answer = get_json(api, "/api/v1/search?per_page=10&page=50")
    assert answer["results"] == [] and answer["pages"] == 6 and answer["next"] is None
    assert answer["prev"] == "http://localhost/api/v1/search?page=6&per_page=10"


def test_a_single_page_has_no_links(api):
    answer = get_json(api, "/api/v1/search?per_page=100")
    assert (answer["pages"], answer["next"], answer["prev"]) == (1, None, None)


def test_the_unversioned_api_links_to_itself(api):
    assert (
        get_json(api, "/api/search?per_page=50&nonsense=1")["next"]
        == "http://localhost/api/search?per_page=50&page=2"
    )


def test_links_are_on_the_public_address_so_a_script_elsewhere_can_follow_them(corpus_app):
    corpus_app.config["PUBLIC_URL"] = "https://mutuals.example.org"
    try:
        answer = get_json(corpus_app.test_client(), "/api/v1/search?per_page=10&page=2")
    finally:
        corpus_app.config["PUBLIC_URL"] = None
    assert answer["next"] == "https://mutuals.example.org/api/v1/search?page=3&per_page=10"
    assert answer["prev"] == "https://mutuals.example.org/api/v1/search?per_page=10"


# per_page=0


def test_per_page_0_gives_the_total_and_facets_alone(api, corpus):
    counts = get_json(api, "/api/v1/search?per_page=0&sector=libraries&q=ballot")
    full = get_json(api, "/api/v1/search?per_page=100&sector=libraries&q=ballot")
    assert (
        counts["results"] == []
        and counts["total"] == full["total"] == expected(corpus, "ballot", {"sector": ["libraries"]})[0]
    )
    assert counts["facets"] == full["facets"]
    assert (counts["pages"], counts["next"], counts["prev"], counts["per_page"]) == (1, None, None, 0)
    assert get_json(api, "/search.json?per_page=0")["total"] == len(corpus)


def test_per_page_0_is_for_the_api_only(api):
    assert get_json(api, "/api/search?per_page=0", 400)["error"]["parameter"] == "per_page"
    assert api.get("/search?per_page=0").status_code == 400


# The provider filter, through the API


@pytest.mark.parametrize(
    "written", ["Mutual Ventures", "mutual ventures", "MUTUAL  VENTURES", "mutual ventures ltd"]
)
def test_the_provider_filter_matches_names_and_aliases_in_any_case(api, corpus, written):
    answer = get_json(api, "/api/v1/search", provider=written, per_page=0)
    assert answer["total"] == sum("Mutual Ventures" in meta["provider"] for meta in corpus) > 0
    assert [o["value"] for o in answer["facets"]["provider"] if o["selected"]] == ["Mutual Ventures"]


# The .json twins


@pytest.mark.parametrize(
    "query",
    ["", "q=ballot&per_page=5&page=2", "sector=libraries&sector=health&sort=oldest",
     "year_from=2015&year_to=2012", "per_page=0&provider=baxendale", "page=abc", "sectors=libraries"],
)  # fmt: skip
def test_search_json_is_exactly_the_v1_answer(api, query):
    twin, v1 = api.get(f"/search.json?{query}"), api.get(f"/api/v1/search?{query}")
    assert twin.status_code == v1.status_code
    assert twin.get_json() == v1.get_json()


@pytest.mark.parametrize(
    ("address", "name"),
    [("sectors/libraries", "sector"), ("legal-forms/community-interest-company", "legal_form")],
)
def test_a_topic_twin_is_the_v1_search_with_its_filter(api, address, name):
    slug = address.split("/")[1]
    for query in ("", "q=ballot", "per_page=3&page=2&sort=title"):
        twin = get_json(api, f"/{address}.json?{query}")
        assert twin == get_json(api, f"/api/v1/search?{query}&{name}={slug}")
        assert all(slug in result[name] for result in twin["results"])


# CORS


def test_answers_may_be_read_from_any_origin(api):
    for url in ("/api/v1/search", "/search.json", "/api/search", "/api/v1/statistics", "/api/openapi.json"):
        response = api.get(url, headers={"Origin": "https://notebook.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    error = api.get("/api/v1/search?nope=1", headers={"Origin": "https://notebook.example"})
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_answered_for_get_with_if_none_match(api):
    response = api.options(
        "/api/v1/search?q=x",
        headers={
            "Origin": "https://notebook.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_a_preflight_is_not_counted_against_the_rate_limit(tmp_path):
    app = make_app(tmp_path, API_RATE_LIMIT="2 per minute")
    client = app.test_client()
    preflight = {"Origin": "https://notebook.example", "Access-Control-Request-Method": "GET"}
    for _ in range(4):
        assert client.options("/api/v1/search", headers=preflight).status_code == 200
    assert [client.get("/api/v1/search").status_code for _ in range(2)] == [200, 200]
    backend_of(app).close()


TWINS = ("/search.json", "/sectors/libraries.json", "/legal-forms/community-interest-company.json")


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/nope", "/api/v1/deliverables/nope"])
def test_not_found_under_the_api_is_json_readable_from_any_origin(api, url):
    response = api.get(url, headers={"Origin": "https://notebook.example"})
    assert response.status_code == 404 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", ["/api/v1/search", "/api/search", *TWINS])
def test_a_wrong_method_is_a_json_405_with_allow_readable_from_any_origin(api, url):
    response = api.post(url, headers={"Origin": "https://notebook.example"})
    assert response.status_code == 405 and response.is_json, response.get_data(as_text=True)
    assert response.get_json()["error"]["status"] == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "OPTIONS"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", TWINS)
def test_an_unexpected_failure_on_a_twin_is_a_json_500(corpus_app, url, monkeypatch):
    def broken(request):
        raise RuntimeError("the index is unreadable")

    monkeypatch.setattr(catalogue, "search", broken)
    response = corpus_app.test_client().get(url)
    assert response.status_code == 500 and response.is_json
    assert "the index is unreadable" not in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ETags and caching


def test_etag_gives_304_until_the_index_changes(app, client, write):
    write("one.md")
    ingest_into(app, write.folder)
    first = client.get("/api/v1/search?q=pensions")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/api/v1/search?q=pensions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get("/api/v1/search?q=pension", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    assert client.get("/api/v1/statistics").headers["ETag"] != etag
    write("two.md", slug="two", title="Another plan")
    ingest_into(app, write.folder)
    after = client.get("/api/v1/search?q=pensions", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.get_json()["total"] == 2


def etag_of(client, url):
    response = client.get(url)
    assert response.status_code in (200, 410)
    return response.headers.get("ETag")


def test_correcting_a_withdrawal_reason_changes_the_etag(app, client, write, runner):
    """The index does not change when a withdrawn deliverable's reason is corrected, but the answer does."""
    write("one.md", slug="one")
    ingest_into(app, write.folder)
    assert runner.invoke(args=["withdraw", "one", "--reason", "Superseded."]).exit_code == 0
    etag = etag_of(client, "/api/v1/deliverables/one")
    assert client.get("/api/v1/deliverables/one", headers={"If-None-Match": etag}).status_code == 304
    assert runner.invoke(args=["withdraw", "one", "--reason", "Superseded by the 2015 plan."]).exit_code == 0
    again = client.get("/api/v1/deliverables/one", headers={"If-None-Match": etag})
    assert again.status_code == 200, again.status
    assert again.get_json()["withdrawn"]["reason"] == "Superseded by the 2015 plan."


def test_unpublishing_a_withdrawn_deliverable_changes_the_etag(app, client, write, runner):
    write("one.md", slug="one")
    ingest_into(app, write.folder)
    assert runner.invoke(args=["withdraw", "one", "--reason", "Superseded."]).exit_code == 0
    etag = etag_of(client, "/api/deliverables/one")
    with app.app_context(), get_database(app).session() as session:
        row = session.scalar(select(Deliverable).where(Deliverable.slug == "one"))
        publishing.unpublish(session, accounts.system_user(session), row, reason="Published in error.")
    gone = client.get("/api/deliverables/one", headers={"If-None-Match": etag})
    assert gone.status_code == 410 and gone.get_json()["error"]["message"] == "Published in error."


def test_the_etag_names_the_package_version(app, client, monkeypatch):
    etag = etag_of(client, "/api/v1/statistics")
    monkeypatch.setattr(http_cache, "VERSION", "99.0")
    assert client.get("/api/v1/statistics", headers={"If-None-Match": etag}).status_code == 200


def test_the_etag_is_worked_out_before_the_view_reads(app, client, write, monkeypatch):
    """A change made while the view runs must not be vouched for by the answer's ETag: the next
    request, which sees it, needs a different ETag or a cache keeps the stale answer for good."""
    write("one.md", slug="one")
    ingest_into(app, write.folder)
    reading = catalogue.get_deliverable

    def read_then_change(slug):
        row = reading(slug)
        with get_database().session() as session:
            audit.record(session, "withdraw", target="one", detail="meanwhile")
        return row

    monkeypatch.setattr(catalogue, "get_deliverable", read_then_change)
    during = etag_of(client, "/api/v1/deliverables/one")
    monkeypatch.setattr(catalogue, "get_deliverable", reading)
    assert etag_of(client, "/api/v1/deliverables/one") != during


def test_if_none_match_star_is_304_for_an_answer_and_not_for_an_error(api):
    assert api.get("/api/v1/statistics", headers={"If-None-Match": "*"}).status_code == 304
    assert api.get("/api/v1/deliverables/nope", headers={"If-None-Match": "*"}).status_code == 404
    assert api.get("/api/v1/search?nope=1", headers={"If-None-Match": "*"}).status_code == 400


def test_errors_carry_no_etag(api):
    response = api.get("/api/v1/search?page=0")
    assert response.status_code == 400 and "ETag" not in response.headers


# The rate limit


def test_past_the_rate_limit_the_api_answers_429_as_json_with_retry_after(tmp_path):
    app = make_app(tmp_path, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.get(url).status_code for url in ("/api/v1/search", "/search.json", "/api/search")]
    assert statuses == [200, 200, 200]
    for url in ("/api/v1/statistics", "/sectors/libraries.json", "/api/search"):
        refused = client.get(url)
        assert refused.status_code == 429 and refused.is_json
        assert refused.get_json()["error"]["status"] == 429
        assert int(refused.headers["Retry-After"]) > 0
        message = refused.get_json()["error"]["message"]
        assert message.startswith("Too many requests from your address: the limit is 3 per 1 minute.")
        assert "Try again in " in message and " seconds" in message
    assert client.get("/api").status_code == 200  # the page for people is not counted
    backend_of(app).close()


def test_retry_after_is_only_sent_with_a_429(tmp_path):
    app = make_app(tmp_path, API_RATE_LIMIT="5 per minute")
    client = app.test_client()
    answer = client.get("/api/v1/statistics")
    assert answer.status_code == 200 and answer.headers["X-RateLimit-Limit"] == "5"
    assert "Retry-After" not in answer.headers
    again = client.get("/api/v1/statistics", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and "Retry-After" not in again.headers
    backend_of(app).close()


# The glossary


def test_the_glossary_is_vocabularies_yml(api):
    written = yaml.safe_load(VOCABULARIES.read_text(encoding="utf-8"))
    answer = get_json(api, "/api/v1/vocabularies")["vocabularies"]
    assert sorted(vocabulary["name"] for vocabulary in answer) == sorted(written)
    for vocabulary in answer:
        source = written[vocabulary["name"]]
        assert vocabulary["label"] == source["label"]
        assert vocabulary["values"] == [
            {
                "slug": value["slug"],
                "label": value["label"],
                "aliases": list(value.get("aliases") or []),
                "description": value.get("description", ""),
            }
            for value in source["values"]
        ]
        assert get_json(api, f"/api/v1/vocabularies/{vocabulary['name']}") == vocabulary
    assert "sector" in get_json(api, "/api/v1/vocabularies/sectors", 404)["error"]["message"]


# The evidence map and the statistics, by brute force


def test_the_evidence_map_counts_match_brute_force(api, corpus):
    pairs = list(itertools.permutations(DIMENSIONS, 2))
    for number, request in enumerate(itertools.islice(random_requests(corpus, seed=23), 12)):
        rows, columns = pairs[number * 5 % len(pairs)]
        response = api.get(
            "/api/v1/evidence-map",
            query_string=[*query_string(*request), ("rows", rows), ("columns", columns)],
        )
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        row_values = [value["value"] for value in answer["rows"]["values"]]
        column_values = [value["value"] for value in answer["columns"]["values"]]
        brute = brute_cells(corpus, rows, columns, *request)
        grid = {
            (r, c): answer["cells"][i][j]
            for i, r in enumerate(row_values)
            for j, c in enumerate(column_values)
        }
        assert {pair: count for pair, count in grid.items() if count} == brute, request
        assert answer["total"] == expected(corpus, *request)[0]
        assert answer["gaps"] == len(grid) - len(brute)
        matching = [meta for meta in corpus if passes(meta, *request)]
        row_totals = Counter(value for meta in matching for value in values_of(meta, rows))
        assert {v["value"]: v["total"] for v in answer["rows"]["values"] if v["total"]} == dict(row_totals)
        assert (answer["rows"]["name"], answer["columns"]["name"]) == (rows, columns)


def test_the_evidence_map_defaults_to_sector_by_legal_form_with_every_value(api, vocabularies):
    answer = get_json(api, "/api/v1/evidence-map")
    assert [v["value"] for v in answer["rows"]["values"]] == list(vocabularies["sector"].slugs)
    assert [v["value"] for v in answer["columns"]["values"]] == list(vocabularies["legal_form"].slugs)
    assert len(answer["cells"]) == len(vocabularies["sector"].slugs)
    assert {len(row) for row in answer["cells"]} == {len(vocabularies["legal_form"].slugs)}


def test_statistics_count_the_corpus(api, corpus):
    answer = get_json(api, "/api/v1/statistics")
    assert answer["total"] == len(corpus)
    years = Counter(str(meta["published"].year) for meta in corpus)
    assert {item["value"]: item["count"] for item in answer["by_year"] if item["count"]} == dict(years)
    sectors = Counter(value for meta in corpus for value in meta["sector"])
    assert {item["value"]: item["count"] for item in answer["by_sector"] if item["count"]} == dict(sectors)
    assert answer["awards"]["known"] == 0 and answer["awards"]["median"] is None


def test_v1_does_not_depend_on_the_unversioned_api():
    """What both share lives in api_common, so the legacy module can go without touching v1."""
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module("knowledgebase.web.api_v1")))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "api" not in imported and "api_common" in imported
