"""Feeds, the sitemap and robots.txt: parsed as XML, absolute on KB_PUBLIC_URL, published only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from knowledgebase.db import get_database

from .conftest import backend_of, ingest_into, make_app
from .pages import get_page

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def site(tmp_path, write):
    app = make_app(tmp_path, PUBLIC_URL="https://mutuals.example.org")
    write("pensions-2013.md", title="Pensions note", body="An actuarial valuation.\n", published="2013-01-01")
    write("libraries-2015.md", title="Library plan", sector=["libraries"], published="2015-01-01")
    write("gone-2014.md", title="Withdrawn pensions note", body="Actuarial.\n", published="2014-01-01")
    ingest_into(app, write.folder)
    result = app.test_cli_runner().invoke(args=["withdraw", "gone-2014", "--reason", "Superseded."])
    assert result.exit_code == 0, result.output
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def xml_of(response) -> ET.Element:
    assert response.status_code == 200, response.data[:300]
    return ET.fromstring(response.data)


def test_the_search_page_links_its_feed(site):
    client = site.test_client()
    page = get_page(client, "/search?q=pensions&sector=youth-services")
    alternate = page.find("link", rel="alternate", type="application/atom+xml")
    visible = page.find("a", string=lambda text: text and "Atom feed" in text)
    assert alternate["href"] == visible["href"] == "/search.atom?q=pensions&sector=youth-services"


def test_the_feed_has_the_search_newest_on_the_site_first_without_withdrawn_ones(site):
    client = site.test_client()
    response = client.get("/search.atom?q=actuarial&utm_source=mail&year_from=20x5")
    assert response.mimetype == "application/atom+xml"
    feed = xml_of(response)
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Pensions note"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == "https://mutuals.example.org/deliverables/pensions-2013"
    assert (
        feed.find(f"{ATOM}link[@rel='self']")
        .get("href")
        .startswith("https://mutuals.example.org/search.atom?")
    )
    everything = xml_of(client.get("/search.atom")).findall(f"{ATOM}entry")
    assert len(everything) == 2


def test_the_sitemap_lists_published_deliverables_on_the_public_address(site):
    root = xml_of(site.test_client().get("/sitemap.xml"))
    locations = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert "https://mutuals.example.org/deliverables/pensions-2013" in locations
    assert "https://mutuals.example.org/sectors/libraries" in locations
    assert not [loc for loc in locations if "gone-2014" in loc]
    assert all(loc.startswith("https://mutuals.example.org/") for loc in locations)


def test_a_large_sitemap_becomes_an_index(site):
    site.config["SITEMAP_LIMIT"] = 10
    client = site.test_client()
    index = xml_of(client.get("/sitemap.xml"))
    parts = [item.findtext(f"{SITEMAP}loc") for item in index.findall(f"{SITEMAP}sitemap")]
    assert len(parts) > 1 and parts[0] == "https://mutuals.example.org/sitemaps/1.xml"
    seen = []
    for number in range(1, len(parts) + 1):
        part = xml_of(client.get(f"/sitemaps/{number}.xml"))
        urls = [url.findtext(f"{SITEMAP}loc") for url in part.findall(f"{SITEMAP}url")]
        assert 0 < len(urls) <= 10
        seen += urls
    assert len(seen) == len(set(seen)) and any("pensions-2013" in url for url in seen)
    assert client.get(f"/sitemaps/{len(parts) + 1}.xml").status_code == 404


def test_robots_names_the_sitemap(site):
    response = site.test_client().get("/robots.txt")
    lines = response.get_data(as_text=True).splitlines()
    assert "Disallow: /api/" in lines and "Sitemap: https://mutuals.example.org/sitemap.xml" in lines


def test_canonical_links_use_the_public_address(site):
    page = get_page(site.test_client(), "/deliverables/pensions-2013")
    assert (
        page.find("link", rel="canonical")["href"] == "https://mutuals.example.org/deliverables/pensions-2013"
    )


def test_a_withdrawn_deliverable_stays_with_its_date_and_reason(site):
    page = get_page(site.test_client(), "/deliverables/gone-2014")
    notice = page.select_one(".govuk-notification-banner")
    assert "This advice was withdrawn on" in notice.get_text() and "Superseded." in notice.get_text()
    assert page.title.get_text().startswith("Withdrawn pensions note [Withdrawn]")
    assert not page.find("a", string="Download the Markdown source")
    results = get_page(site.test_client(), "/search?q=actuarial")
    assert "Withdrawn pensions note" not in results.get_text()


def test_feed_links_keep_only_the_valid_search(site):
    feed = xml_of(
        site.test_client().get("/search.atom?q=actuarial&sector=bogus&page=0&sort=title&year_to=2014")
    )
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        "https://mutuals.example.org/search.atom?q=actuarial&year_to=2014"
    )
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "https://mutuals.example.org/search?q=actuarial&year_to=2014"
    )


def test_a_sitemap_limit_out_of_range_is_brought_into_range(site):
    site.config["SITEMAP_LIMIT"] = 0
    assert xml_of(site.test_client().get("/sitemap.xml")).tag == f"{SITEMAP}sitemapindex"
