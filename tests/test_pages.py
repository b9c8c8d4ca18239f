"""The HTML pages, asserted on parsed HTML: search with facets and state in the URL, a deliverable,
its source, and the error pages."""

from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup

from .conftest import ingest_into


@pytest.fixture
def filled(app, write):
    write(
        "knowsley-youth-2013.md",
        body="# Plan\n\n## Pensions\n\nTUPE and pensions.\n\n## Money\n\nAn "
        '<a href="javascript:alert(1)" onclick="x()">evil link</a> and <script>alert(2)</script>.\n',
    )
    write(
        "libraries-2015.md",
        title="Library mutual options",
        sector=["libraries"],
        published="2015-05-01",
        body="The asset lock of a community benefit society.\n",
    )
    for number in range(25):
        write(
            f"extra-{number:02d}.md",
            title=f"Extra advice {number}",
            sector=["housing"],
            body="Housing.\n",
            published=f"20{10 + number % 10}-01-01",
        )
    ingest_into(app, write.folder)
    return app


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def test_search_page_has_a_labelled_query_box_and_result_count(client, filled):
    soup = page(client, "/?q=pensions")
    box = soup.find("input", {"name": "q"})
    assert box["value"] == "pensions"
    assert soup.find("label", {"for": box["id"]})
    assert soup.find("form")["method"] == "get"
    assert soup.find(id="result-count").get_text(strip=True).startswith("1 result")
    titles = [a.get_text() for a in soup.select(".result h3 a")]
    assert titles == ["Business plan for a staff-led youth services mutual"]
    assert soup.select_one(".snippet mark").get_text().lower() in ("pensions", "tupe")


def test_facet_checkboxes_show_counts_and_selection(client, filled):
    soup = page(client, "/?sector=libraries")
    sector = soup.find("fieldset", id="facet-sector")
    assert sector.legend.get_text() == "Sector"
    boxes = {box["value"]: box for box in sector.find_all("input", {"type": "checkbox"})}
    assert boxes["libraries"].has_attr("checked")
    assert not boxes["housing"].has_attr("checked")
    label = sector.find("label", {"for": boxes["housing"]["id"]}).get_text(" ", strip=True)
    assert label == "Housing (25)"
    assert soup.find(id="result-count").get_text(strip=True).startswith("1 result")


def test_active_filters_can_be_removed(client, filled):
    soup = page(client, "/?q=advice&sector=libraries&sector=housing&page=2")
    links = {a.get_text(strip=True): a["href"] for a in soup.select(".active-filters a")}
    remove = links["Remove filter Sector: Libraries"]
    query = parse_qs(urlparse(remove).query)
    assert query == {"q": ["advice"], "sector": ["housing"]}


def test_pagination_links_carry_the_state(client, filled):
    soup = page(client, "/?sector=housing&sort=oldest")
    nav = soup.find("nav", {"aria-label": "Results pages"})
    assert "Page 1 of 2" in nav.get_text()
    following = parse_qs(urlparse(nav.find("a", rel="next")["href"]).query)
    assert following == {"sector": ["housing"], "sort": ["oldest"], "page": ["2"]}
    second = page(client, nav.find("a", rel="next")["href"])
    assert len(second.select(".result")) == 5
    assert second.find("ol", class_="result-list")["start"] == "21"


def test_sort_choice_is_kept(client, filled):
    soup = page(client, "/?sort=title")
    assert soup.find("select", {"name": "sort"}).find("option", selected=True)["value"] == "title"
    titles = [a.get_text() for a in soup.select(".result h3 a")]
    assert titles == sorted(titles, key=str.lower)


def test_suggestion_links_to_the_corrected_search(client, filled):
    soup = page(client, "/?q=pensinos")
    link = soup.select_one(".suggestion a")
    assert link.get_text() == "pensions"
    assert parse_qs(urlparse(link["href"]).query) == {"q": ["pensions"]}


def test_no_results_says_so(client, filled):
    soup = page(client, "/?q=zebracrossing")
    assert soup.select_one(".no-results")
    assert soup.find(id="result-count").get_text(strip=True).startswith("0 results")


def test_bad_parameter_is_a_400_page(client, filled):
    soup = page(client, "/?sector=space", status=400)
    assert "sector" in soup.select_one(".error-message").get_text()


def test_deliverable_page_shows_metadata_and_safe_body(client, filled):
    soup = page(client, "/deliverables/knowsley-youth-2013")
    assert soup.h1.get_text() == "Business plan for a staff-led youth services mutual"
    metadata = {
        dt.get_text(): dd.get_text(" ", strip=True)
        for dt, dd in zip(soup.select("dl.metadata dt"), soup.select("dl.metadata dd"), strict=False)
    }
    assert metadata["Sector"] == "Youth services"
    assert metadata["Legal form"] == "Community interest company"
    assert metadata["Region"] == "North West"
    assert metadata["Value of support"] == "£93,000"
    body = soup.find("article")
    assert not body.find("script")
    link = body.find("a", string="evil link")
    assert not link.has_attr("href") and not link.has_attr("onclick")
    contents = [a["href"] for a in soup.select("nav.contents a")]
    assert contents == ["#section-plan", "#section-pensions", "#section-money"]
    assert all(body.find(id=anchor[1:]) for anchor in contents)
    assert len(soup.find_all("h1")) == 1
    download = soup.find("a", string="Download the Markdown source")
    assert download["href"] == "/deliverables/knowsley-youth-2013.md"


def test_markdown_source_download(client, filled):
    response = client.get("/deliverables/knowsley-youth-2013.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).startswith("---\ntitle:")


def test_unknown_page_is_a_404_page(client, filled):
    soup = page(client, "/deliverables/nope", status=404)
    assert soup.h1.get_text() == "Page not found"
    page(client, "/nowhere", status=404)


def test_server_error_page(app, client, filled, monkeypatch):
    from knowledgebase import catalogue

    def broken(_request):
        raise RuntimeError("boom")

    monkeypatch.setattr(catalogue, "search", broken)
    soup = page(client, "/", status=500)
    assert "problem with the service" in soup.h1.get_text()
    response = client.get("/api/search")
    assert response.status_code == 500 and response.is_json
