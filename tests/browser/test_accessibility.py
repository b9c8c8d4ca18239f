"""axe-core's WCAG 2.2 AA checks on every page type, at desktop and phone widths, with the filter
panel both closed and open (an error opens it), and a screenshot of each for a person to look at."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP_JS, PHONE_JS, WITHDRAWN, assert_accessible
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
    "not-found": "/deliverables/no-such-advice",
}


@pytest.mark.parametrize("mode", [DESKTOP_JS, PHONE_JS], ids=str)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_the_page_passes_axe(axe_page, path, screenshot):
    axe_page.goto(path)
    assert_accessible(axe_page)
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
