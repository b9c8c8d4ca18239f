"""The layout every page shares: GOV.UK Frontend built by scripts/build-assets and served by the
app, our own header, footer and icons (no crown), no inline style, and a nonce on every script."""

import json
from importlib.metadata import version

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string

from .conftest import ROOT

DIST = ROOT / "knowledgebase" / "web" / "static" / "dist"
PAGES = ["/", "/search?q=pensions", "/deliverables/brent-libraries-options-appraisal-2014", "/nowhere"]
#: govuk-frontend-jinja's macros are ported from one GOV.UK Frontend release: pin them in pairs.
MACROS_FOR_FRONTEND = {"4.1.0": "6.3.0"}


@pytest.fixture(scope="module")
def built():
    """The built assets; fails, saying how to build them, when pytest runs without the build."""
    missing = [name for name in ("application.css", "application.mjs") if not (DIST / name).is_file()]
    if missing:
        pytest.fail(
            f"The site's assets are not built ({', '.join(missing)} missing from {DIST}): "
            "run `bash scripts/build-assets` (scripts/setup and scripts/run-tests do it for you)",
            pytrace=False,
        )
    return DIST


def soup_of(client, url):
    response = client.get(url)
    assert response.status_code == (404 if url == "/nowhere" else 200), (url, response.status_code)
    return BeautifulSoup(response.data, "html.parser")


def fetch(client, url):
    """(status, mimetype, body) of a static file, its file closed (a warning otherwise)."""
    with client.get(url) as response:
        return response.status_code, response.mimetype, response.get_data()


def test_the_page_links_the_built_css_and_js_and_the_app_serves_them(sample_client, built):
    soup = soup_of(sample_client, "/")
    stylesheets = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    modules = [script["src"] for script in soup.find_all("script", type="module")]
    assert stylesheets == ["/static/dist/application.css"]
    assert modules == ["/static/dist/application.mjs"]

    status, mimetype, body = fetch(sample_client, stylesheets[0])
    assert status == 200 and mimetype == "text/css"
    text = body.decode()
    assert ".govuk-service-navigation" in text and ".app-table-container" in text
    assert "@font-face" not in text and "GDS Transport" not in text
    assert "system-ui" in text

    status, mimetype, body = fetch(sample_client, modules[0])
    assert status == 200 and mimetype == "text/javascript"
    assert b'from "./govuk-frontend.min.js"' in body
    status, mimetype, body = fetch(sample_client, "/static/dist/govuk-frontend.min.js")
    assert status == 200 and mimetype == "text/javascript"
    assert b"initAll" in body


def test_icons_are_ours_and_served(sample_client, built):
    soup = soup_of(sample_client, "/")
    icons = [link["href"] for link in soup.find_all("link", rel=["icon", "apple-touch-icon"])]
    assert len(icons) == 3
    for href in icons:
        assert "govuk" not in href
        status, mimetype, _ = fetch(sample_client, href)
        assert status == 200 and mimetype.startswith("image/"), href
    assert not list(built.glob("images/favicon.ico")), "GOV.UK's crown favicon is not ours to serve"


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_style_and_every_inline_script_carries_the_nonce(sample_client, url):
    soup = soup_of(sample_client, url)
    assert not soup.find("style")
    assert not soup.find(style=True)
    scripts = soup.find_all("script")
    assert scripts, "the js-enabled snippet and the module"
    nonces = {script.get("nonce") for script in scripts}
    assert len(nonces) == 1 and None not in nonces
    assert [script for script in scripts if not script.get("src")], "GOV.UK's js-enabled snippet"


def test_the_nonce_is_new_for_each_request(sample_client):
    first, second = (soup_of(sample_client, "/").script["nonce"] for _ in range(2))
    assert first != second and len(first) >= 16


@pytest.mark.parametrize("url", PAGES)
def test_page_landmarks_and_one_h1(sample_client, url):
    soup = soup_of(sample_client, url)
    assert soup.find("html")["lang"] == "en-GB"
    assert soup.select_one("a.govuk-skip-link")["href"] == "#main-content"
    assert soup.select("main#main-content")
    assert len(soup.find_all("h1")) == 1
    assert soup.title.get_text().endswith(" – Mutuals knowledge base")


def test_header_is_our_service_without_the_crown(sample_client):
    header = soup_of(sample_client, "/search").find("header")
    assert not header.find("svg") and not header.select(".govuk-header, .govuk-logo")
    assert "GOV.UK" not in header.get_text()
    service = header.select_one(".govuk-service-navigation__service-name a")
    assert service.get_text(strip=True) == "Mutuals knowledge base" and service["href"] == "/"
    items = {a.get_text(strip=True): a for a in header.select(".govuk-service-navigation__list a")}
    assert items["Search"]["href"] == "/search" and items["Search"]["aria-current"] == "page"
    assert items["About"]["href"] == "/about" and not items["About"].has_attr("aria-current")
    assert header.select_one(".govuk-phase-banner .govuk-tag").get_text(strip=True) == "Beta"


def test_footer_links_and_licence_without_the_crown(sample_client):
    footer = soup_of(sample_client, "/").find("footer")
    assert not footer.find("svg") and not footer.select(".govuk-footer__copyright-logo")
    links = {a.get_text(strip=True): a["href"] for a in footer.find_all("a")}
    assert links == {
        "About": "/about",
        "Accessibility statement": "/accessibility",
        "Privacy": "/privacy",
        "Cookies": "/cookies",
        "Sign in to publish": "/sign-in",
        "Open data": "/data",
        "API for developers": "/api",
        "Open Government Licence v3.0": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    }


def test_govuk_macros_load_under_their_prefix(sample_app):
    with sample_app.test_request_context("/"):
        html = render_template_string(
            '{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}'
            "{{ govukButton({'text': 'Save'}) }}"
        )
    assert BeautifulSoup(html, "html.parser").select_one("button.govuk-button").get_text(strip=True) == "Save"


def test_macros_and_frontend_are_pinned_as_a_pair():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    frontend = package["dependencies"]["govuk-frontend"]
    assert MACROS_FOR_FRONTEND.get(version("govuk-frontend-jinja")) == frontend
    assert lock["packages"]["node_modules/govuk-frontend"]["version"] == frontend


def test_pages_fill_the_head_and_before_content_blocks(sample_app):
    page = (
        '{% extends "base.html" %}{% block title %}Probe{% endblock %}'
        '{% block head %}<meta name="description" content="A probe">{% endblock %}'
        '{% block beforeContent %}<a class="govuk-back-link" href="/">Back</a>{% endblock %}'
        "{% block content %}<h1>Probe</h1>{% endblock %}"
    )
    with sample_app.test_request_context("/"):
        soup = BeautifulSoup(render_template_string(page), "html.parser")
    assert soup.head.find("meta", attrs={"name": "description"})["content"] == "A probe"
    assert soup.head.find("link", rel="stylesheet"), "a page's head block keeps the stylesheet"
    back = soup.select_one(".govuk-width-container > .govuk-back-link")
    assert back and back.find_next("main")["id"] == "main-content"
    assert soup.title.get_text() == "Probe – Mutuals knowledge base"
