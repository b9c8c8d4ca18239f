"""The public pages, used as a person would: forms filled and submitted, links followed, and every
page checked for one h1, unique ids, the title pattern and forms with an action (tests/pages.py)."""

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.http import parse_options_header

from .conftest import ingest_into
from .pages import get_page, submit


@pytest.fixture
def filled(app, write):
    write(
        "knowsley-youth-2013.md",
        body="# Plan\n\n## Pensions\n\nTUPE and pensions.\n\n## Money\n\nAn "
        '<a href="javascript:alert(1)" onclick="x()">evil link</a> and <script>alert(2)</script>.\n\n'
        "| Year | Income |\n|---|---|\n| 2014 | £1m |\n\n![Org chart](https://tracker.example/chart.png)\n",
    )
    write(
        "libraries-2015.md",
        title="Library mutual options",
        sector=["libraries"],
        legal_form=["community-benefit-society"],
        published="2015-05-01",
        body="The asset lock of a community benefit society. Pensions are mentioned once.\n",
    )
    for number in range(25):
        write(
            f"extra-{number:02d}.md",
            title=f"Extra advice {number}",
            sector=["housing"],
            body="Housing.\n",
            published=f"20{10 + number % 10}-01-01",
        )
    write(
        "pensions-note-2022.md",
        title="Case study of a housing mutual",
        sector=["housing"],
        deliverable_type="case-study",
        published="2022-06-01",
        body="A case study of a housing mutual: its board, its tenants, its repairs service, its "
        "rent collection, its staff survey, its first three years of trading, its contracts with the "
        "council, its bank and its auditors; pensions come up once in passing.\n",
    )
    ingest_into(app, write.folder)
    return app


def filled_vocabularies():
    from knowledgebase.vocab import load_vocabularies

    from .conftest import VOCABULARIES

    return load_vocabularies(VOCABULARIES)


def query(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def result_titles(soup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(".app-result__title a")]


# -- searching through the form --------------------------------------------------------------------


def test_a_query_typed_on_the_home_page_is_ordered_by_best_match(client, filled):
    home = get_page(client, "/")
    results = submit(client, home, "form.app-search", q="pensions")
    assert urlsplit(results.url).path == "/search"
    assert query(results.url) == {"q": ["pensions"]}
    api = client.get("/api/search?q=pensions").get_json()
    assert api["sort"] == "relevance"
    assert result_titles(results) == [item["title"] for item in api["results"]]
    assert result_titles(results)[0] == "Business plan for a staff-led youth services mutual"


def test_a_new_query_starts_from_best_match_after_browsing_newest_first(client, filled):
    browsing = get_page(client, "/search")
    assert (
        browsing.find("select", {"name": "sort"}).find("option", selected=True).get_text() == "Newest first"
    )
    results = submit(client, browsing, "form.app-finder", q="pensions")
    assert "sort" not in query(results.url)
    assert result_titles(results)[0] == "Business plan for a staff-led youth services mutual"


def test_a_chosen_order_is_kept_until_the_query_changes(client, filled):
    first = submit(
        client, get_page(client, "/search?q=pensions"), "form.app-finder", select=("sort", "newest")
    )
    assert query(first.url)["sort"] == ["newest"]
    assert result_titles(first)[0] == "Case study of a housing mutual"
    again = submit(client, first, "form.app-finder", check=("sector", "housing"))
    assert query(again.url)["sort"] == ["newest"]
    new_query = submit(client, first, "form.app-finder", q="asset lock")
    assert "sort" not in query(new_query.url)
    both = submit(client, first, "form.app-finder", q="housing", select=("sort", "title"))
    assert query(both.url)["sort"] == ["title"]


def test_ticking_filters_narrows_the_results_and_shows_counts(client, filled):
    page = get_page(client, "/search")
    sector = page.find(id="filter-sector")
    assert sector.summary.get_text(" ", strip=True) == "Sector"
    label = sector.find("label", {"for": sector.find("input", {"value": "housing"})["id"]})
    assert label.get_text(" ", strip=True) == "Housing (26)"
    narrowed = submit(client, page, "form.app-finder", check=("sector", "libraries"))
    assert query(narrowed.url) == {"sector": ["libraries"]}
    assert narrowed.find(id="result-count").get_text(strip=True) == "1 result"
    assert "(1 selected)" in narrowed.find(id="filter-sector").summary.get_text()
    both = submit(client, narrowed, "form.app-finder", check=("sector", "housing"))
    assert both.find(id="result-count").get_text(strip=True) == "27 results"


def test_filter_tags_remove_one_filter_or_clear_all(client, filled):
    page = get_page(client, "/search?q=advice&sector=libraries&sector=housing&page=2&utm_source=mail")
    tags = {a.get_text(" ", strip=True): a["href"] for a in page.select(".app-active-filters__list a")}
    assert set(tags) == {"Remove filter Sector: Libraries ✕", "Remove filter Sector: Housing ✕"}
    after = get_page(client, tags["Remove filter Sector: Libraries ✕"])
    assert query(after.url) == {"q": ["advice"], "sector": ["housing"]}
    cleared = get_page(client, page.find("a", string="Clear all filters")["href"])
    assert query(cleared.url) == {"q": ["advice"]}


def test_unknown_parameters_are_ignored(client, filled):
    page = get_page(client, "/search?sector=housing&utm_source=newsletter&fbclid=x")
    assert page.find(id="result-count").get_text(strip=True) == "26 results"
    assert "utm_source" not in page.find("link", rel="canonical")["href"]


def test_pagination_and_a_page_past_the_end(client, filled):
    page = get_page(client, "/search?sector=housing&sort=oldest")
    nav = page.find("nav", {"aria-label": "Results pages"})
    assert [a.get_text(strip=True) for a in nav.select(".govuk-pagination__item a")] == ["1", "2"]
    second = get_page(client, nav.find("a", rel="next")["href"])
    assert query(second.url) == {"sector": ["housing"], "sort": ["oldest"], "page": ["2"]}
    assert len(second.select(".app-result")) == 6
    assert second.find("ol", class_="app-result-list")["start"] == "21"
    assert "(page 2 of 2)" in second.title.get_text()
    beyond = get_page(client, "/search?sector=housing&page=50")
    assert "only 2 pages" in beyond.select_one(".app-no-results").get_text()
    back = beyond.select_one(".app-no-results a")
    assert query(back["href"])["page"] == ["2"]


def test_a_mistyped_year_keeps_the_search_and_says_what_is_wrong(client, filled):
    page = get_page(client, "/search?q=pensions")
    wrong = submit(
        client, page, "form.app-finder", status=400, year_from="2015/16", check=("sector", "housing")
    )
    assert wrong.title.get_text().startswith("Error: ")
    summary = wrong.select_one(".govuk-error-summary")
    links = {a.get_text(strip=True): a["href"] for a in summary.select("a")}
    assert links == {"Enter the ‘from’ year as a whole number, like 2015": "#year_from"}
    assert wrong.find(id="year_from")["value"] == "2015/16"
    assert wrong.find(id="year_from-error").get_text(strip=True).endswith("like 2015")
    assert wrong.find(id="q")["value"] == "pensions"
    assert wrong.find("input", {"name": "sector", "value": "housing"}).has_attr("checked")
    assert wrong.find(id="filter-panel").has_attr("open")
    assert result_titles(wrong) == ["Case study of a housing mutual"]


def test_every_problem_is_listed_at_once(client, filled):
    wrong = get_page(
        client, "/search?q=pensions&year_from=2020&year_to=2014&sector=libaries&page=x", status=400
    )
    errors = [a["href"] for a in wrong.select(".govuk-error-summary a")]
    assert errors == ["#filter-sector", "#year_from", "#search-results"]
    sector_error = wrong.find(id="sector-error").get_text(" ", strip=True)
    assert "‘libaries’ is not a sector we know. Did you mean ‘Libraries’?" in sector_error
    assert "youth-services" not in sector_error
    assert result_titles(wrong)


def test_the_suggestion_is_a_link_to_the_corrected_search(client, filled):
    page = get_page(client, "/search?q=pensinos")
    link = page.select_one(".app-suggestion a")
    assert link.get_text() == "pensions"
    assert query(link["href"]) == {"q": ["pensions"]}


def test_no_results_says_how_to_do_better(client, filled):
    page = get_page(client, "/search?q=zebracrossing")
    assert page.select_one(".app-no-results")
    assert page.find(id="result-count").get_text(strip=True) == "0 results for ‘zebracrossing’"


def test_old_links_to_the_home_page_go_on_to_the_search(client, filled):
    response = client.get("/?q=pensions&sector=housing")
    assert response.status_code == 301
    assert response.headers["Location"] == "/search?q=pensions&sector=housing"


def test_results_show_type_organisation_date_sector_and_legal_form(client, filled):
    page = get_page(client, "/search?q=asset+lock")
    result = page.select_one(".app-result")
    assert result.select_one(".app-result__meta").get_text(" ", strip=True) == (
        "Business plan · Knowsley Youth Services · 1 May 2015"
    )
    facts = result.select_one(".app-result__facts").get_text(" ", strip=True)
    assert facts == "Sector: Libraries Legal form: Community benefit society"
    assert result.select_one(".app-result__snippet mark")


# -- the deliverable page --------------------------------------------------------------------------


def test_deliverable_page_shows_its_facts_as_links_to_searches(client, filled):
    page = get_page(client, "/deliverables/knowsley-youth-2013")
    assert page.h1.get_text() == "Business plan for a staff-led youth services mutual"
    rows = {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
            ".govuk-summary-list__value"
        )
        for row in page.select(".govuk-summary-list__row")
    }
    assert rows["Sector"].get_text(strip=True) == "Youth services"
    assert query(rows["Sector"].a["href"]) == {"sector": ["youth-services"]}
    assert query(rows["Programme"].a["href"]) == {"programme": ["mutuals-support-programme"]}
    assert query(rows["Region"].a["href"]) == {"region": ["north-west"]}
    assert rows["Value of support"].get_text(strip=True) == "£93,000"
    assert rows["Date of the advice"].time["datetime"] == "2013-02-15"
    licence = rows["Licence"].a
    assert licence.get_text() == "Open Government Licence v3.0" and "nationalarchives" in licence["href"]
    assert (
        page.select_one(".app-deliverable__dates")
        .get_text(" ", strip=True)
        .startswith("First published on this site:")
    )


def test_deliverable_body_is_safe_and_its_tables_scroll_in_their_own_box(client, filled):
    page = get_page(client, "/deliverables/knowsley-youth-2013")
    body = page.find("article")
    assert not body.find("script") and not body.find("img")
    link = body.find("a", string="evil link")
    assert not link.has_attr("href") and not link.has_attr("onclick")
    container = body.select_one(".app-table-container")
    assert container["tabindex"] == "0" and container["role"] == "region" and container.find("table")
    image = body.find("a", string="Image: Org chart")
    assert image["href"] == "https://tracker.example/chart.png"
    contents = [a["href"] for a in page.select(".app-contents a")]
    assert contents == ["#section-plan", "#section-pensions", "#section-money"]
    assert all(body.find(id=anchor[1:]) for anchor in contents)


def test_back_to_results_returns_to_the_same_search(client, filled):
    results = get_page(client, "/search?q=pensions&sector=housing")
    target = results.select_one(".app-result__title a")["href"]
    response = client.get(target, headers={"Referer": "http://localhost/search?q=pensions&sector=housing"})

    back = BeautifulSoup(response.data, "html.parser").select_one(".govuk-back-link")
    assert back.get_text(strip=True) == "Back to results"
    assert back["href"] == "/search?q=pensions&sector=housing"
    elsewhere = get_page(client, target)
    assert elsewhere.select_one(".govuk-back-link").get_text(strip=True) == "Search all advice"


def test_markdown_source_download(client, filled):
    page = get_page(client, "/deliverables/knowsley-youth-2013")
    link = page.find("a", string="Download the Markdown source")
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    disposition = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == ("attachment", {"filename": "knowsley-youth-2013.md"})
    assert response.get_data(as_text=True).startswith("---\ntitle:")


# -- landing and service pages ---------------------------------------------------------------------


def test_home_page_browses_by_sector_and_legal_form_with_counts(client, filled):
    page = get_page(client, "/")
    sectors = page.find(id="browse-sector").find_next("ul")
    housing = sectors.find("a", string="Housing")
    assert housing.find_next("span").get_text() == "(26)"
    topic = get_page(client, housing["href"])
    assert topic.h1.get_text() == "Housing"
    description = topic.select_one(".govuk-body-l").get_text(strip=True)
    assert description == filled_vocabularies()["sector"].term("housing").description
    assert len(topic.select(".app-result")) == 10
    legal = get_page(client, "/legal-forms/local-authority-trading-company")
    assert "Teckal" in legal.get_text()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search",
        "/search?q=pensions",
        "/deliverables/libraries-2015",
        "/sectors/libraries",
        "/legal-forms/community-interest-company",
        "/about",
        "/accessibility",
        "/privacy",
    ],
)
def test_every_page_type_has_its_own_title_description_and_canonical_link(client, filled, url, app):
    page = get_page(client, url)
    assert page.find("meta", {"name": "description"})["content"]
    path = url.split("?")[0]
    assert page.find("link", rel="canonical")["href"].startswith(f"http://localhost{path}")
    assert page.title.get_text() != "Mutuals knowledge base – Mutuals knowledge base"


def test_titles_differ_between_pages(client, filled):
    urls = ["/", "/search", "/search?q=pensions", "/search?sector=housing&page=2", "/about", "/privacy"]
    titles = [get_page(client, url).title.get_text() for url in urls]
    assert len(set(titles)) == len(titles), titles


def test_unknown_page_is_a_404_page(client, filled):
    page = get_page(client, "/deliverables/nope", status=404)
    assert page.h1.get_text() == "Page not found"
    get_page(client, "/nowhere", status=404)
    get_page(client, "/sectors/space", status=404)


def test_server_error_page(app, client, filled, monkeypatch):
    from knowledgebase import catalogue

    def broken(_request):
        raise RuntimeError("boom")

    monkeypatch.setattr(catalogue, "search", broken)
    page = get_page(client, "/search", status=500)
    assert "problem with the service" in page.h1.get_text()
    response = client.get("/api/search")
    assert response.status_code == 500 and response.is_json


# -- security headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/search?q=x", "/deliverables/libraries-2015", "/nowhere", "/api/search"]
)
def test_security_headers_on_every_response(client, filled, url):
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_the_inline_script_carries_this_requests_nonce(client, filled):
    response = client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]

    scripts = BeautifulSoup(response.data, "html.parser").find_all("script")
    assert scripts and all(script["nonce"] == nonce for script in scripts)
    assert client.get("/").headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]


def test_hsts_over_https_behind_a_trusted_proxy(tmp_path, write):
    from .conftest import make_app

    app = make_app(tmp_path, PROXY_HOPS=1)
    response = app.test_client().get("/about", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    untrusted = make_app(tmp_path).test_client().get("/about", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in untrusted.headers


def test_the_favicon_is_ours(client, filled):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"


@pytest.mark.parametrize("referer", ["http://[::1", "javascript:alert(1)", "http://evil.example/search?q=x"])
def test_an_odd_referer_never_breaks_the_page_or_leads_elsewhere(client, filled, referer):
    response = client.get("/deliverables/libraries-2015", headers={"Referer": referer})
    assert response.status_code == 200 and "Referer" in response.headers["Vary"]
    back = BeautifulSoup(response.data, "html.parser").select_one(".govuk-back-link")
    assert back["href"] == "/search" and back.get_text(strip=True) == "Search all advice"


def test_control_characters_in_a_search_are_dropped(client, filled):
    page = get_page(client, "/search?q=pen%00sions%01&sector=hous%00ing")
    assert page.find(id="q")["value"] == "pen sions"
    feed = client.get("/search.atom?q=%00pensions%EF%BF%BE")
    assert ET.fromstring(feed.data).find("{http://www.w3.org/2005/Atom}title").text.endswith("‘pensions’")


def test_canonical_links_leave_out_mistakes_and_defaults(client, filled):
    page = get_page(
        client, "/search?q=pensions&sector=nope&sector=housing&page=1&per_page=20&utm_source=x", 400
    )
    assert page.find("link", rel="canonical")["href"] == "http://localhost/search?q=pensions&sector=housing"


def test_pagination_never_hides_a_single_page_behind_an_ellipsis(client, filled):
    page = get_page(client, "/search?sector=housing&per_page=5&page=1")
    assert [item.get_text(strip=True) for item in page.select(".govuk-pagination__item")] == [
        "1",
        "2",
        "⋯",
        "6",
    ]
    page = get_page(client, "/search?sector=housing&per_page=5&page=4")
    assert [item.get_text(strip=True) for item in page.select(".govuk-pagination__item")] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
