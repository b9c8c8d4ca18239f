"""axe-core's WCAG 2.2 AA checks on every page type, at desktop and phone widths, with the filter
panel both closed and open (an error opens it), and a screenshot of each for a person to look at."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP_JS, PHONE_JS, WITHDRAWN, assert_accessible, assert_no_horizontal_scroll
from .test_journeys import WITH_TABLE

PAGES = {
    "home": "/",
    "search": "/search",
    "results": "/search?q=pensions&sector=community-health",
    "results-error": "/search?q=pensions&year_from=2015/16&sector=libaries",
    "no-results": "/search?q=zebracrossing",
    "deliverable": f"/deliverables/{WITH_TABLE}",
    "withdrawn": f"/deliverables/{WITHDRAWN}",
    "sector": "/sectors/libraries",
    "legal-form": "/legal-forms/local-authority-trading-company",
    "about": "/about",
    "accessibility": "/accessibility",
    "privacy": "/privacy",
    "api": "/api",
    "data": "/data",
    "not-found": "/deliverables/no-such-advice",
}


@pytest.mark.parametrize("mode", [DESKTOP_JS, PHONE_JS], ids=str)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_the_page_passes_axe(axe_page, path, screenshot, mode):
    axe_page.goto(path)
    assert_accessible(axe_page)
    if mode == PHONE_JS:
        assert_no_horizontal_scroll(axe_page)
    screenshot(axe_page, f"page-{path_name(path)}")


@pytest.mark.parametrize("mode", [DESKTOP_JS], ids=str)
def test_the_open_filter_panel_passes_axe(axe_page):
    axe_page.goto("/search?q=pensions")
    axe_page.get_by_text("Filter and sort").first.click()
    for section in ("Sector", "Legal form", "Provider", "Year of the advice"):
        axe_page.locator("details.app-filter-section summary", has_text=section).first.click()
    assert_accessible(axe_page)


def path_name(path: str) -> str:
    return next(name for name, value in PAGES.items() if value == path)


@pytest.mark.parametrize("mode", [DESKTOP_JS], ids=str)
def test_a_printed_deliverable_is_the_advice_alone(axe_page, screenshot):
    axe_page.goto(f"/deliverables/{WITH_TABLE}")
    axe_page.emulate_media(media="print")
    for hidden in (".govuk-service-navigation", ".govuk-footer", ".govuk-back-link", ".app-related-items"):
        assert not axe_page.locator(hidden).first.is_visible(), hidden
    assert axe_page.get_by_role("heading", level=1).is_visible()
    assert axe_page.locator("table").first.is_visible()
    screenshot(axe_page, "page-deliverable-print")
