"""The researchers' pages in a real browser: the evidence map, the statistics and the glossary
keep to the Content Security Policy (shaded cells and SVG charts styled by classes alone), pass
axe at desktop and phone widths without making the page scroll sideways, and the map is reached
from a search and changed with its own form, with JavaScript on and off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP_JS, DESKTOP_NOJS, PHONE_JS, assert_accessible, assert_no_horizontal_scroll
from .test_journeys import search_from_home

PAGES = {
    "evidence-map": "/evidence-map",
    "evidence-map-years": "/evidence-map?rows=year&columns=deliverable_type&q=pensions",
    "evidence-map-error": "/evidence-map?rows=region&columns=region",
    "statistics": "/statistics",
    "glossary": "/glossary",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_the_research_pages_keep_to_the_policy(csp_page, path):
    csp_page.page.goto(path)
    csp_page.assert_no_violations()
    if path != PAGES["evidence-map-error"]:  # its 400 is reported as a console error
        assert not csp_page.errors, csp_page.errors


@pytest.mark.parametrize("mode", [DESKTOP_JS, PHONE_JS], ids=str)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_the_research_pages_pass_axe(axe_page, path, mode, screenshot):
    axe_page.goto(path)
    assert_accessible(axe_page)
    if mode == PHONE_JS:
        assert_no_horizontal_scroll(axe_page)
    name = next(name for name, value in PAGES.items() if value == path)
    screenshot(axe_page, f"research-{name}")


def test_the_shades_come_from_the_stylesheet(csp_page):
    """Shaded cells and chart bars are coloured, so the stylesheet's classes reached them."""
    page = csp_page.page
    page.goto("/evidence-map")
    darkest = page.locator("td.app-map__cell--5").first
    lightest_gap = page.locator("td.app-map__gap").first
    assert darkest.evaluate("cell => getComputedStyle(cell).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert "gradient" in lightest_gap.evaluate("cell => getComputedStyle(cell).backgroundImage")
    page.goto("/statistics")
    bar = page.locator("rect.app-chart__bar").first
    assert bar.evaluate("bar => getComputedStyle(bar).fill") not in ("", "rgb(0, 0, 0)")
    csp_page.assert_no_violations()


@pytest.mark.parametrize("mode", [DESKTOP_JS, DESKTOP_NOJS], ids=str)
def test_a_search_seen_as_a_map_then_changed_with_the_form(page):
    search_from_home(page, "pensions")
    count = page.locator("#result-count").inner_text().split()[0]
    page.get_by_role("link", name="See these results as an evidence map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence map: sector by legal form")
    expect(page.locator("#map-summary")).to_contain_text(f"{count} deliverables")
    page.get_by_label("Rows", exact=True).select_option(label="Year of the advice")
    page.get_by_role("button", name="Show the map").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Evidence map: year of the advice by legal form")
    expect(page.locator("#map-summary")).to_contain_text(f"{count} deliverables")
    cell = page.locator("table.app-map tbody td a").first
    shown = cell.inner_text().split()[0]
    cell.click()
    expect(page.locator("#result-count")).to_contain_text(f"{shown} result")
