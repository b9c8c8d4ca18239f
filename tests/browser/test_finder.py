"""The finder as a person uses it, in a real browser, with JavaScript on and off, at 1280 and 375 px:
search, tick filters, remove a filter tag, mistype a year and keep the search, page on, open a
result, come back to the same results, download the Markdown. Also what the issue measures: Tab
presses from the top of the search page to the first result, and where that result sits on a phone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, DESKTOP_JS, DESKTOP_NOJS, PHONE_JS, assert_no_horizontal_scroll
from .test_journeys import result_links, search_from_home

MEASUREMENTS = ARTIFACTS / "measurements.json"


def query_of(page: Page) -> dict:
    return parse_qs(urlparse(page.url).query)


def open_filters(page: Page) -> None:
    panel = page.locator("#filter-panel")
    if panel.get_attribute("open") is None:
        page.get_by_text("Filter and sort", exact=False).first.click()


def open_section(page: Page, name: str) -> None:
    section = page.locator("details.app-filter-section", has=page.locator("summary", has_text=name)).first
    if section.get_attribute("open") is None:
        section.locator("summary").click()


def tick(page: Page, section: str, position: int) -> str:
    """Tick the n-th unticked option of a filter section; returns its label without the count."""
    open_section(page, section)
    unticked = page.locator(
        f"details.app-filter-section:has(summary:has-text('{section}')) input[type=checkbox]:not(:checked)"
    ).nth(position)
    label = page.locator(f"label[for='{unticked.get_attribute('id')}']").inner_text()
    unticked.check()
    return re.sub(r"\s*\(\d[\d,]*\)$", "", label.strip())


def record(name: str, value) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    data = json.loads(MEASUREMENTS.read_text()) if MEASUREMENTS.exists() else {}
    data[name] = value
    MEASUREMENTS.write_text(json.dumps(data, indent=2, sort_keys=True))


def test_the_whole_search_journey(page: Page, screenshot, tmp_path: Path):
    search_from_home(page, "pensions")
    assert "sort" not in query_of(page)

    # Tick two sectors and a legal form.
    open_filters(page)
    first = tick(page, "Sector", 0)
    second = tick(page, "Sector", 0)
    legal = tick(page, "Legal form", 0)
    screenshot(page, "finder-filters-open")
    page.get_by_role("button", name="Apply filters").click()
    assert len(query_of(page)["sector"]) == 2 and len(query_of(page)["legal_form"]) == 1
    assert query_of(page)["q"] == ["pensions"] and "sort" not in query_of(page)
    tags = page.locator(".app-active-filters__list a")
    expect(tags).to_have_count(3)
    screenshot(page, "finder-filtered")

    # Remove one filter by its tag.
    page.get_by_role("link", name=f"Remove filter Sector: {first}").click()
    expect(page.locator(".app-active-filters__list a")).to_have_count(2)
    assert len(query_of(page)["sector"]) == 1
    expect(page.get_by_role("link", name=f"Remove filter Sector: {second}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Remove filter Legal form: {legal}")).to_be_visible()

    # Mistype a year: the search and the other filters stay, and the problem is named.
    open_filters(page)
    open_section(page, "Year of the advice")
    page.get_by_label("From year").fill("2015/16")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the ‘from’ year as a whole number")
    expect(page.get_by_label("Search the advice")).to_have_value("pensions")
    expect(page.get_by_label("From year")).to_have_value("2015/16")
    expect(page.locator(".app-active-filters__list a")).to_have_count(2)
    screenshot(page, "finder-error")
    summary.get_by_role("link").click()  # the error summary's link goes to the field
    page.get_by_label("From year").fill("2015")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).not_to_have_title(re.compile(r"^Error: "))
    assert query_of(page)["year_from"] == ["2015"]

    # Clear the filters, page on through a bigger search, open a result and come back to it.
    page.get_by_role("link", name="Clear all filters").click()
    expect(page.locator(".app-active-filters__list a")).to_have_count(0)
    search_again(page, "business plan")
    page.get_by_role("link", name=re.compile(r"^Next")).click()
    assert query_of(page)["page"] == ["2"]
    expect(page).to_have_title(re.compile(r"page 2 of"))
    results_url, shown = page.url, result_links(page).all_inner_texts()
    result_links(page).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(shown[0])
    page.get_by_role("link", name="Back to results").click()
    expect(page).to_have_url(results_url)
    expect(result_links(page)).to_have_text(shown)

    # Download the Markdown of a result.
    result_links(page).first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the Markdown source").click()
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("---\n")
    assert_no_horizontal_scroll(page)


def search_again(page: Page, words: str) -> None:
    page.get_by_label("Search the advice").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=2, name=re.compile(f"results? for ‘{words}’"))).to_be_visible()


@pytest.mark.parametrize("mode", [DESKTOP_JS], ids=str)
def test_the_first_result_is_a_few_tab_presses_from_the_top(page: Page):
    page.goto("/search?q=pensions")
    first = result_links(page).first.get_attribute("href")
    presses = 0
    while page.evaluate("document.activeElement.getAttribute('href')") != first:
        assert presses < 60, "Tab never reached the first result"
        page.keyboard.press("Tab")
        presses += 1
    record("tab_presses_to_first_result_1280", presses)
    assert presses <= 15, presses


@pytest.mark.parametrize("mode", [PHONE_JS], ids=str)
def test_the_first_result_is_within_two_screens_on_a_phone(page: Page, screenshot):
    page.goto("/search?q=pensions")
    top = result_links(page).first.bounding_box()["y"]
    record("first_result_top_px_375", round(top))
    screenshot(page, "finder-phone")
    assert top <= 2 * 812, top


@pytest.mark.parametrize("mode", [DESKTOP_JS], ids=str)
def test_the_provider_list_can_be_narrowed_by_typing(page: Page):
    page.goto("/search")
    open_filters(page)
    open_section(page, "Provider")
    providers = page.locator(
        "details.app-filter-section:has(summary:has-text('Provider')) .govuk-checkboxes__item"
    )
    everyone = providers.count()
    assert everyone > 12
    page.get_by_label("Search provider").fill("co-operatives")
    expect(providers.filter(visible=True)).not_to_have_count(everyone)
    shown = providers.filter(visible=True).all_inner_texts()
    assert shown and all("co-operatives" in text.lower() for text in shown)
    page.get_by_label("Search provider").press("Enter")  # narrows, never submits
    assert "provider" not in query_of(page)
    providers.filter(visible=True).first.locator("input").check()
    page.get_by_role("button", name="Apply filters").click()
    assert len(query_of(page)["provider"]) == 1


@pytest.mark.parametrize("mode", [DESKTOP_NOJS], ids=str)
def test_without_javascript_the_whole_provider_list_shows(page: Page):
    page.goto("/search")
    open_filters(page)
    open_section(page, "Provider")
    expect(page.get_by_label("Search provider")).to_have_count(0)
    providers = page.locator(
        "details.app-filter-section:has(summary:has-text('Provider')) .govuk-checkboxes__item"
    )
    assert providers.filter(visible=True).count() == providers.count() > 12
