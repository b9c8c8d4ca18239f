"""The pages keep to their own Content Security Policy, in a browser that enforces it."""

from __future__ import annotations

import pytest

from .test_accessibility import PAGES
from .test_journeys import result_links, search_from_home


def test_a_search_journey_breaks_no_content_security_policy(csp_page):
    page = csp_page.page
    search_from_home(page, "pensions")
    page.get_by_text("Filter and sort").first.click()
    result_links(page).first.click()
    page.wait_for_url("**/deliverables/**")
    page.go_back()
    csp_page.assert_no_violations()


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_page_type_keeps_to_the_policy(csp_page, path):
    csp_page.page.goto(path)
    csp_page.assert_no_violations()
