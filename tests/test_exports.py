"""Downloads of any search (CSV and JSON Lines): columns from the registry, the "; " escape, CSV
injection neutralised, strict parameters, streaming with flat memory, the search page's own link,
and gunicorn not cutting a long download off."""

from __future__ import annotations

import csv
import gc
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from knowledgebase import exports, fields
from knowledgebase.catalogue import backend
from knowledgebase.db import get_database
from knowledgebase.ingest import rebuild_index
from knowledgebase.tabular import neutralised
from knowledgebase.vocab import load_vocabularies

from .conftest import ROOT, VOCABULARIES, backend_of, ingest_into, make_app
from .pages import get_page, submit

sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # scripts/corpus.py: the benchmarks' generator

PUBLIC = "https://mutuals.example.org"


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    # utf-8-sig: the links people follow ask for a byte-order mark (bom=1), for Excel.
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def lines_of(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


# --- many values in one cell -------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        ["libraries"],
        ["Smith; Jones & Co", "Bates Wells"],
        ["a\\b", "ends with \\", "\\;", ";", "; "],
        ["semi;colon;", "x"],
        [],
    ],
)
def test_many_values_round_trip_through_the_escape(values):
    cell = exports.join_many(values)
    assert exports.split_many(cell) == values


def test_the_escape_is_a_backslash_before_semicolons_and_backslashes():
    assert exports.join_many(["a;b", "c\\d", "e"]) == "a\\;b; c\\\\d; e"


def test_the_columns_are_the_registry_then_the_address_and_dates():
    assert exports.COLUMNS == (*fields.KEYS, "url", "first_published_at", "last_changed_at")


# --- through the site --------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path, write):
    """Twenty-five deliverables (more than a page of results), some with values a spreadsheet
    would run as formulas and values holding the separator; one withdrawn."""
    app = make_app(tmp_path, PUBLIC_URL=PUBLIC, EXPORT_DIR=str(tmp_path / "exports"))
    for number in range(22):
        write(f"plan-{number:02d}.md", title=f"Plan {number:02d}", published=f"20{10 + number % 10}-03-01")
    write(
        "formula.md",
        title='=HYPERLINK("http://evil.example","click")',
        organisation="+44 council",
        provider=["@Risk Partners", "Smith; Jones & Co"],
        tags=["-minus", "back\\slash", "semi;colon"],
        sector=["libraries", "housing"],
    )
    write("libraries.md", title="Library plan", sector=["libraries"], award_value=12345)
    write("gone.md", title="Withdrawn plan")
    report = ingest_into(app, write.folder)
    assert report.ok, [str(error) for outcome in report.rejected for error in outcome.errors]
    result = app.test_cli_runner().invoke(args=["withdraw", "gone", "--reason", "Superseded."])
    assert result.exit_code == 0, result.output
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def test_the_csv_has_the_registry_header_and_every_match_not_one_page(site):
    client = site.test_client()
    response = client.get("/search.csv?page=2&per_page=5")
    assert response.is_streamed
    text_ = response.get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text_)))
    assert header == list(exports.COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text_)))
    assert len(rows) == 24  # every published match; the withdrawn one is left out
    assert "gone" not in {row["slug"] for row in rows}
    api = client.get("/api/search?per_page=100").get_json()
    assert [row["slug"] for row in rows] == [result["slug"] for result in api["results"]]


def test_a_csv_row_has_every_field_as_the_record_holds_it(site):
    rows = {row["slug"]: row for row in rows_of(site.test_client().get("/search.csv"))}
    library = rows["libraries"]
    assert library["title"] == "Library plan"
    assert library["award_value"] == "12345"
    assert library["licence"] == "OGL-3.0"
    assert library["published"] == "2013-02-15"
    assert library["tags"] == "youth work"
    assert library["url"] == f"{PUBLIC}/deliverables/libraries"
    assert library["first_published_at"].endswith("Z") and library["last_changed_at"].endswith("Z")
    assert rows["plan-00"]["sector"] == "youth-services"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert neutralised(start + "1+1") == "'" + start + "1+1"
    assert neutralised("safe " + start) == "safe " + start


def test_formula_cells_are_neutralised_in_the_download(site):
    client = site.test_client()
    with site.app_context():
        # Tab and carriage return cannot come in through a file (control characters are refused),
        # but the download must not trust the record to stay that way.
        update = text("UPDATE deliverable SET summary = :value WHERE slug = :slug")
        with get_database().engine.begin() as connection:
            connection.execute(update, {"value": "\tcmd|' /C calc", "slug": "plan-01"})
            connection.execute(update, {"value": "\r=1+1", "slug": "plan-02"})
    rows = {row["slug"]: row for row in rows_of(client.get("/search.csv"))}
    formula = rows["formula"]
    assert formula["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert formula["organisation"] == "'+44 council"
    assert formula["provider"].startswith("'@Risk Partners")
    assert formula["tags"].startswith("'-minus")
    assert rows["plan-01"]["summary"] == "'\tcmd|' /C calc"
    assert rows["plan-02"]["summary"] == "'\r=1+1"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_a_semicolon_inside_a_value_round_trips(site):
    rows = {row["slug"]: row for row in rows_of(site.test_client().get("/search.csv"))}
    formula = rows["formula"]
    # The apostrophe that keeps a spreadsheet from running the cell goes first, as documented.
    providers = exports.split_many(formula["provider"].removeprefix("'"))
    assert providers == ["@Risk Partners", "Smith; Jones & Co"]
    assert exports.split_many(formula["tags"].removeprefix("'")) == ["-minus", "back\\slash", "semi;colon"]
    assert exports.split_many(formula["sector"]) == ["libraries", "housing"]


def test_json_lines_are_the_registry_values_in_the_same_order(site):
    client = site.test_client()
    lines = lines_of(client.get("/search.jsonl?sort=title"))
    rows = rows_of(client.get("/search.csv?sort=title"))
    assert [line["slug"] for line in lines] == [row["slug"] for row in rows]
    formula = next(line for line in lines if line["slug"] == "formula")
    assert list(formula) == list(exports.COLUMNS)
    assert formula["provider"] == ["@Risk Partners", "Smith; Jones & Co"]
    assert formula["title"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet: as written
    single = client.get("/api/deliverables/formula").get_json()
    for spec in fields.FIELDS:
        assert formula[spec.name] == single[spec.name], spec.name
    assert formula["url"] == f"{PUBLIC}/deliverables/formula"
    assert formula["first_published_at"] == single["first_published_at"]


def test_downloads_are_streamed_attachments_open_to_scripts(site):
    client = site.test_client()
    csv_response = client.get("/search.csv?q=plan&sector=libraries")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = csv_response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=mutuals-knowledge-base-plan-sector-libraries-")
    assert disposition.endswith(".csv")
    assert csv_response.headers["Access-Control-Allow-Origin"] == "*"
    assert csv_response.is_streamed
    assert not csv_response.get_data().startswith(b"\xef\xbb\xbf")
    jsonl = client.get("/search.jsonl")
    assert jsonl.headers["Content-Type"] == "application/jsonl; charset=utf-8"
    assert jsonl.headers["Content-Disposition"].endswith(".jsonl")
    assert jsonl.headers["Access-Control-Allow-Origin"] == "*"


def test_bom_1_starts_the_csv_with_a_byte_order_mark_for_excel(site):
    data = site.test_client().get("/search.csv?bom=1").get_data()
    assert data.startswith(b"\xef\xbb\xbftitle,summary,")


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/search.csv?sectors=libraries", 400, "unknown parameter: sectors; accepted: q, sector,"),
        ("/search.jsonl?q=x&utm_source=a&foo=b", 400, "unknown parameters: utm_source, foo"),
        ("/search.jsonl?bom=1", 400, "unknown parameter: bom"),
        ("/search.csv?sector=nonsense", 400, "sector: 'nonsense' is not a known value"),
        ("/search.csv?year_from=2020&year_to=2010", 400, "year_from: 2020 is after year_to"),
        ("/search.csv?bom=yes", 400, "bom: 'yes' is not accepted"),
        ("/sectors/nowhere.csv", 404, "no sector has the slug 'nowhere'"),
        ("/legal-forms/libraries.jsonl", 404, "no legal form has the slug 'libraries'"),
        ("/sectors/libraries.csv?q=plan", 400, "unknown parameter: q; accepted: bom"),
    ],
)
def test_bad_parameters_are_refused_in_plain_text_naming_them(site, url, status, message):
    response = site.test_client().get(url)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert message in response.get_data(as_text=True)


def test_topic_twins_download_that_sector_or_legal_form(site):
    client = site.test_client()
    rows = rows_of(client.get("/sectors/libraries.csv"))
    assert {row["slug"] for row in rows} == {"formula", "libraries"}
    lines = lines_of(client.get("/legal-forms/community-interest-company.jsonl"))
    assert len(lines) == 24
    page = get_page(client, "/sectors/libraries")
    link = page.find("a", string=lambda value: value and "(CSV)" in value)
    assert link.get_text(strip=True) == "Download all 2 pieces of advice for Libraries (CSV)"
    assert rows_of(client.get(link["href"])) == rows


def test_the_search_page_links_its_own_download(site):
    client = site.test_client()
    search = get_page(client, "/search")
    page = submit(client, search, "form.app-finder", q="plan", check=("sector", "libraries"))
    count = page.select_one("#result-count").get_text()
    assert count.startswith("2 results")
    link = page.select_one("#download a")
    assert link.get_text(strip=True) == "Download these 2 results (CSV)"
    rows = rows_of(client.get(link["href"]))
    assert {row["slug"] for row in rows} == {"formula", "libraries"}
    jsonl = page.select_one("#download").find("a", string="JSON Lines")
    assert len(lines_of(client.get(jsonl["href"]))) == 2
    one = submit(client, page, "form.app-finder", q="hyperlink")
    assert one.select_one("#download a").get_text(strip=True) == "Download this 1 result (CSV)"
    none = submit(client, page, "form.app-finder", q="zzzzqqq")
    assert none.select_one("#download") is None


def test_downloads_are_rate_limited(tmp_path):
    app = make_app(tmp_path, EXPORT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [client.get("/search.csv").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/sectors/libraries.jsonl")  # every download counts towards one limit
    assert refused.status_code == 429 and refused.mimetype == "text/plain"
    text = refused.get_data(as_text=True)
    assert text.startswith("Too many requests from your address: the limit is 2 per 1 minute. Try again in ")
    assert int(refused.headers["Retry-After"]) > 0 and refused.headers["Access-Control-Allow-Origin"] == "*"
    assert client.options("/search.csv").status_code != 429  # a browser's preflight is not counted
    assert client.get("/search").status_code == 200  # pages are not counted
    backend_of(app).close()


def test_every_error_of_a_download_is_plain_text(tmp_path, monkeypatch):
    app = make_app(tmp_path)
    client = app.test_client()
    not_allowed = client.post("/search.csv")
    assert not_allowed.status_code == 405 and not_allowed.mimetype == "text/plain"
    assert "GET" in not_allowed.headers["Allow"]
    assert client.get("/sectors/nothing.csv").mimetype == "text/plain"

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # (A failure before the download starts: once rows are streaming, the status is already sent.)
    monkeypatch.setattr("knowledgebase.web.downloads.parse_search_args", broken)
    failed = client.get("/search.csv")
    assert failed.status_code == 500 and failed.mimetype == "text/plain"
    assert "the database went away" not in failed.get_data(as_text=True)
    # The admins' audit log is a page behind sign-in, not a public download: it keeps the pages.
    assert client.get("/admin/audit.csv").mimetype != "text/plain"
    backend_of(app).close()


# --- memory, on a generated corpus of 5,000 ----------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """5,000 deliverables stored straight into the database (scripts/corpus.py `insert_rows`:
    the benchmarks' metadata without parsing Markdown) and indexed: about 10 s, where ingesting
    generated files would take a minute."""
    tmp_path = tmp_path_factory.mktemp("large")
    app = make_app(tmp_path, PUBLIC_URL=PUBLIC, EXPORT_RATE_LIMIT="1000 per minute")
    vocabularies = load_vocabularies(VOCABULARIES)
    with app.app_context():
        corpus.insert_rows(get_database(), 5000, 2013, vocabularies)
        rebuild_index(get_database(), backend(), vocabularies)
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def _peak_while_streaming(client, url: str) -> tuple[int, float]:
    """Lines received and the peak traced memory (MB) while a download streams, read a chunk at
    a time as a server sends it and a client takes it."""
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        assert response.status_code == 200
        lines = sum(1 for _ in response.response)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, peak / 1e6


def test_streaming_memory_does_not_grow_with_the_rows(large):
    """Peak memory streaming ~1,100 rows (`year_to=2013`) against all 5,000, after one warm-up
    of each (the first download builds the index's per-process tables and caches, which any
    search would). Measured: about 1.6 MB for both, within 0.05 MB of each other (a batch of
    500 rows and the CSV writer). Had the download kept its rows or its lines, the 3,900 extra
    rows (about 600 bytes of CSV each, more as objects) would add over 2 MB, so a bound of 1 MB
    on the difference catches that with room for noise."""
    client = large.test_client()
    for url in ("/search.csv?year_to=2013", "/search.csv"):
        _peak_while_streaming(client, url)
    small_lines, small_peak = _peak_while_streaming(client, "/search.csv?year_to=2013")
    large_lines, large_peak = _peak_while_streaming(client, "/search.csv")
    assert 800 < small_lines - 1 < 1500 and large_lines - 1 == 5000
    assert large_peak - small_peak < 1.0, (small_peak, large_peak)
    assert large_peak < 5.0, large_peak


def test_the_search_page_link_counts_with_thousands_separators(large):
    client = large.test_client()
    page = get_page(client, "/search")
    link = page.select_one("#download a")
    assert link.get_text(strip=True) == "Download these 5,000 results (CSV)"
    assert link["href"] == "/search.csv?bom=1"


# --- gunicorn does not cut a long download off --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _download_through_gunicorn(tmp_path: Path, extra: list[str]) -> tuple[int, bytes]:
    """Serve tests/slow_export_wsgi.py (the site, each CSV row slowed to 0.25 s, 24 rows: 6 s)
    with gunicorn.conf.py, a 2-second worker timeout and `extra` options; download /search.csv."""
    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("KB_")},
        "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "KB_INDEX_DIR": str(tmp_path / "index"),
        "KB_INGEST_LOCK": str(tmp_path / "ingest.lock"),
        "KB_SLOW_EXPORT_SECONDS": "0.25",
    }
    log_path = tmp_path / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "2",
                *extra, "tests.slow_export_wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log_path.read_text()[-2000:]
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/search.atom", timeout=5).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                    time.sleep(0.3)
            body = b""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/search.csv", timeout=30) as response:
                    status = response.status
                    while chunk := response.read(1024):
                        body += chunk
            except (OSError, ValueError, http.client.HTTPException) as error:  # cut off mid-body
                status = -1
                body += repr(error).encode()
            return status, body
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@pytest.fixture
def stored(tmp_path, write):
    app = make_app(tmp_path)
    for number in range(24):
        write(f"plan-{number:02d}.md", title=f"Plan {number:02d}")
    assert ingest_into(app, write.folder).ok
    backend_of(app).close()
    get_database(app).dispose()
    return tmp_path


def test_gunicorn_threaded_workers_finish_a_download_longer_than_the_timeout(stored):
    status, body = _download_through_gunicorn(stored, [])
    assert status == 200
    assert body.decode().count("\r\n") == 25, body[-300:]


def test_a_sync_worker_would_cut_the_same_download_off(stored):
    """Why gunicorn.conf.py chooses gthread: the same download through a sync worker is killed
    at the timeout, and the client gets part of a file."""
    status, body = _download_through_gunicorn(stored, ["--worker-class", "sync", "--threads", "1"])
    assert status == -1 or body.count(b"\r\n") < 25
