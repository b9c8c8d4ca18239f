"""Page tests in a real browser: Debian's chromium driven by Playwright against the site served
on 127.0.0.1, with the sample content ingested.

One browser per session and a new context per test (a context is a fresh profile: no cookies,
no history, its own viewport and JavaScript switch). Journey tests ask for `page` and run in the
four `MODES`: desktop and phone, JavaScript on and off. `csp_page` watches for Content Security
Policy violations; `axe_page` may run axe, which needs the policy bypassed to inject its script.

Screenshots go to test-artifacts/screenshots/ for a person to look at; the session's last lines
name the folder and the chromium version.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from knowledgebase.db import get_database

from ..conftest import ROOT, SAMPLE_CONTENT, backend_of, ingest_into, make_app

CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium, never a Playwright download (this network cannot fetch browser builds).
# Without the background-networking flags chromium keeps calling out to a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TIMEOUT_MS = 10_000
#: A sample deliverable the browser tests' site shows as withdrawn.
WITHDRAWN = "walsall-public-health-cic-social-value-tender-bid-support-2018"

_run: dict[str, str] = {}  # what the session's summary reports: the chromium version


@dataclass(frozen=True)
class Mode:
    """How a person browses: the viewport and whether JavaScript runs."""

    width: int
    height: int
    javascript: bool

    def __str__(self) -> str:
        return f"{self.width}-{'js' if self.javascript else 'nojs'}"


DESKTOP_JS = Mode(1280, 800, True)
DESKTOP_NOJS = Mode(1280, 800, False)
PHONE_JS = Mode(375, 812, True)
PHONE_NOJS = Mode(375, 812, False)
MODES = [DESKTOP_JS, DESKTOP_NOJS, PHONE_JS, PHONE_NOJS]


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def build_sample_instance(folder: Path, **config) -> Flask:
    """The one place the browser tests set up their database and index: an app on a SQLite
    database and a Whoosh index in `folder`, with the sample content ingested (`config` is
    passed to the app)."""
    app = make_app(folder, **config)
    report = ingest_into(app, SAMPLE_CONTENT)
    assert report.ok, [str(error) for outcome in report.rejected for error in outcome.errors]
    withdrawn = app.test_cli_runner().invoke(
        args=["withdraw", WITHDRAWN, "--reason", "Replaced by the council's 2020 commissioning strategy."]
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    exported = app.test_cli_runner().invoke(args=["export"])  # so /data shows the archive's details
    assert exported.exit_code == 0, exported.output
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        """Requests go unlogged; errors still reach the log."""


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session", autouse=True)
def _needs_chromium():
    """Skip the browser tests where chromium is absent, except in CI, where they must run."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: bash scripts/setup-browser installs Debian's chromium (needs root)"
    if _in_ci():
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """`app` served by a real HTTP server on a free port of 127.0.0.1, in a thread; closed after."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        backend_of(app).close()
        get_database(app).dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """The site served by a real HTTP server on a free port of 127.0.0.1, in a thread. Test
    modules that change what the site holds (publishing) override it with their own instance."""
    with serving(build_sample_instance(tmp_path_factory.mktemp("browser"))) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Browser:
    """One headless chromium for the whole session; its version goes to the summary and to
    test-artifacts/chromium-version.txt."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _run["version"] = browser.version
        (ARTIFACTS / "chromium-version.txt").write_text(browser.version + "\n", encoding="utf-8")
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter):
    if "version" in _run:
        terminalreporter.write_line(
            f"browser tests: chromium {_run['version']}; screenshots in {SCREENSHOTS}"
        )


def _new_page(browser: Browser, live_server: LiveServer, mode: Mode = DESKTOP_JS, **options) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": mode.width, "height": mode.height},
        java_script_enabled=mode.javascript,
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture(params=MODES, ids=str)
def mode(request) -> Mode:
    """The four ways of browsing; a test may narrow them with
    `@pytest.mark.parametrize("mode", [PHONE_JS, PHONE_NOJS], ids=str)`."""
    return request.param


@pytest.fixture
def page(browser, live_server, mode) -> Page:
    """A fresh browser tab on the live site, in `mode`; `page.goto("/")` opens the home page."""
    page = _new_page(browser, live_server, mode)
    yield page
    page.context.close()


@pytest.fixture
def new_tab(browser, live_server):
    """new_tab(mode) opens a fresh tab in its own context, as another person on another computer
    would (own cookies); for journeys with more than one person. Closed after the test."""
    contexts = []

    def _new_tab(mode: Mode = DESKTOP_JS, **options) -> Page:
        page = _new_page(browser, live_server, mode, **options)
        contexts.append(page.context)
        return page

    yield _new_tab
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(mode):
    """screenshot(page, "search") saves test-artifacts/screenshots/search-375-js.png (the mode's name)."""

    def _screenshot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}-{mode}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return _screenshot


class CspWatch:
    """A page whose Content Security Policy violations are collected: `securitypolicyviolation`
    events and console messages about the policy. Other console errors are kept in `errors`."""

    def __init__(self, page: Page):
        self.page = page
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(f"console {message.type}: {message.text}")
        elif message.type == "error":
            self.errors.append(message.text)

    def assert_no_violations(self):
        self.page.wait_for_load_state("load")
        self.page.evaluate("0")  # a round trip, so events already sent have been received
        if self.violations:
            pytest.fail("Content Security Policy violations:\n" + "\n".join(self.violations), pytrace=False)


_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__kbCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || document.URL}:${event.lineNumber}): ${event.sample}`);
});
"""


@pytest.fixture
def csp_page(browser, live_server) -> CspWatch:
    """A desktop tab with JavaScript on and the page's Content Security Policy enforced (no
    bypass); call `csp_page.assert_no_violations()` after the journey."""
    page = _new_page(browser, live_server)
    watch = CspWatch(page)
    # Both run through the DevTools protocol, outside the page's policy.
    page.context.expose_function("__kbCspViolation", lambda text: watch.violations.append(f"event: {text}"))
    page.context.add_init_script(_REPORT_VIOLATIONS)
    yield watch
    page.context.close()


@pytest.fixture
def axe_page(browser, live_server, mode) -> Page:
    """A tab for `assert_accessible`: JavaScript on and the page's policy bypassed, since axe is
    injected as a script. Parametrise `mode` with JavaScript modes only."""
    assert mode.javascript, "axe runs only with JavaScript on"
    _needs_axe()
    page = _new_page(browser, live_server, mode, bypass_csp=True)
    yield page
    page.context.close()


def _needs_axe() -> None:
    """Skip where axe-core is not installed, except in CI, where it must be."""
    if AXE.exists():
        return
    message = f"{AXE} is missing: npm install (scripts/setup) installs axe-core"
    if _in_ci():
        pytest.fail(message)
    pytest.skip(message)


def assert_accessible(page: Page) -> None:
    """Run axe on the page as it is for WCAG 2.2 AA rules, and fail listing every violation."""
    _needs_axe()
    page.add_script_tag(path=AXE)
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = results["violations"]
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {json.dumps(node['target'])}" for node in violation["nodes"])
    if violations:
        pytest.fail(
            f"axe found {len(violations)} violations on {page.url}:\n" + "\n".join(lines), pytrace=False
        )


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width: nothing makes the reader scroll sideways."""
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, viewport: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["viewport"], (
        f"{page.url} scrolls sideways: {widths['scroll']} px wide in a {widths['viewport']} px viewport"
    )
