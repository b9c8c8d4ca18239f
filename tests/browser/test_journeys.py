"""What a person does on the site, in a real browser: search from the home page, open a result and
come back, download a deliverable's Markdown. Elements are found as a person finds them, by their
label, role and text, so the tests hold through a redesign."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE_JS, PHONE_NOJS, assert_no_horizontal_scroll

# A pensions advice note whose body has a five-column table.
WITH_TABLE = "canterbury-museums-heritage-company-lgps-pension-advice-2014"


def search_from_home(page: Page, words: str) -> None:
    """Type words in the home page's search box and press Search, as a person does."""
    page.goto("/")
    page.get_by_label("Search the advice").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"results? for ‘"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=" + re.escape(words).replace(r"\ ", r"\+") + "$"))


def result_links(page: Page):
    """The links to deliverables' pages in the main content, in the order shown."""
    return page.get_by_role("main").locator("a[href*='/deliverables/']:not([href$='.md'])")


def result_urls(page: Page) -> list[str]:
    """The paths of the deliverables listed, in order, each once."""
    hrefs = result_links(page).evaluate_all("links => links.map(a => a.href)")
    return list(dict.fromkeys(urlparse(href).path for href in hrefs))


def test_searching_from_the_home_page_lists_the_best_match_first(page, screenshot):
    page.goto("/")
    screenshot(page, "search")
    search_from_home(page, "pensions")
    screenshot(page, "results")

    answer = page.request.get("/api/search?q=pensions&sort=relevance&per_page=100").json()
    best_first = [result["url"] for result in answer["results"]]
    assert best_first, "the sample content has advice about pensions"
    query = parse_qs(urlparse(page.url).query)
    assert query.get("sort", ["relevance"]) == ["relevance"], (
        f"the search asked for another order: {page.url}"
    )
    shown = result_urls(page)
    assert shown, "the page lists results"
    assert shown == best_first[: len(shown)], "the results are not in order of relevance"


def test_back_from_a_deliverable_returns_to_the_same_results(page, screenshot):
    search_from_home(page, "pensions")
    results_url = page.url
    shown = result_urls(page)
    assert len(shown) > 1

    first = result_links(page).first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    screenshot(page, "deliverable")

    page.go_back()
    expect(page).to_have_url(results_url)
    expect(page.get_by_label("Search the advice")).to_have_value("pensions")
    assert result_urls(page) == shown


def test_the_markdown_source_downloads_from_a_deliverable_page(page):
    page.goto(f"/deliverables/{WITH_TABLE}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Markdown", re.IGNORECASE)).click()
    download = download_info.value
    assert download.suggested_filename == f"{WITH_TABLE}.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("---\n")
    assert "| Option |" in text


@pytest.mark.parametrize("mode", [PHONE_JS, PHONE_NOJS], ids=str)
@pytest.mark.parametrize("path", ["/", "/?q=pensions"], ids=["home", "results"])
def test_the_search_page_fits_a_phone_screen(page, path):
    page.goto(path)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("mode", [PHONE_JS, PHONE_NOJS], ids=str)
def test_a_deliverable_with_a_table_fits_a_phone_screen(page, screenshot):
    page.goto(f"/deliverables/{WITH_TABLE}")
    screenshot(page, "deliverable-table")
    assert_no_horizontal_scroll(page)
