"""The pages keep to their own Content Security Policy, in a browser that enforces it."""

from __future__ import annotations

from .test_journeys import result_links, search_from_home


def test_a_search_journey_breaks_no_content_security_policy(csp_page):
    page = csp_page.page
    search_from_home(page, "pensions")
    result_links(page).first.click()
    page.wait_for_url("**/deliverables/**")
    page.go_back()
    csp_page.assert_no_violations()
