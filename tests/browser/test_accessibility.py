"""axe-core's WCAG 2.2 AA checks on the main pages, at desktop and phone widths."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP_JS, PHONE_JS, assert_accessible
from .test_journeys import WITH_TABLE

PAGES = {
    "home": "/",
    "results": "/?q=pensions",
    "deliverable": f"/deliverables/{WITH_TABLE}",
}


@pytest.mark.parametrize("mode", [DESKTOP_JS, PHONE_JS], ids=str)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_the_page_passes_axe(axe_page, path):
    axe_page.goto(path)
    assert_accessible(axe_page)
