"""The researchers' pages on the generated corpus, read as a person reads them (parsed HTML) and
checked against brute force: the evidence map's cells and totals, every count's link, the map's
CSV, the statistics (counts and award values) and the glossary; and the links that lead to them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import re
import statistics
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from knowledgebase.db import get_database
from knowledgebase.search import DIMENSIONS
from knowledgebase.vocab import VOCABULARY_NAMES
from knowledgebase.web.research import band

from .conftest import VOCABULARIES, backend_of, ingest_into, make_app
from .pages import get_page, submit
from .test_search import build_corpus, random_requests, values_of, write_corpus
from .test_search_seam import brute_cells, passes

AWARDS = (4_000, 12_500, 20_000, 37_500, 93_000, 150_000)


@pytest.fixture(scope="module")
def corpus(vocabularies):
    """The search tests' corpus, two in three of its deliverables giving an award value."""
    rng = random.Random(3)
    corpus = build_corpus(vocabularies)
    for meta in corpus:
        meta["award_value"] = rng.choice(AWARDS) if rng.random() < 0.67 else None
    return corpus


def corpus_site(tmp_path, corpus, database_url=None):
    """An app holding the corpus, award values included (write_corpus leaves them out)."""
    folder = tmp_path / "content"
    write_corpus(folder, corpus)
    for meta in corpus:
        if meta["award_value"] is not None:
            path = folder / f"{meta['slug']}.md"
            path.write_text(
                path.read_text().replace("---\n", f"---\naward_value: {meta['award_value']}\n", 1)
            )
    app = make_app(tmp_path, database_url)
    assert ingest_into(app, folder).ok
    return app


@pytest.fixture(scope="module")
def site(tmp_path_factory, corpus):
    app = corpus_site(tmp_path_factory.mktemp("research"), corpus)
    yield app
    backend_of(app).close()


@pytest.fixture
def client(site):
    return site.test_client()


# -- reading the pages ------------------------------------------------------------------------------


def number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def read_map(soup) -> dict:
    """The evidence map's table as data: column labels, and per row its label, cells (count, or
    None for a gap, and the link) and total; the footer's totals."""
    table = soup.select_one("table.app-map")
    assert table is not None, soup.select_one("main").get_text(" ", strip=True)[:500]
    headers = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    assert headers[-1] == "Total"
    rows = {}
    for tr in table.tbody.find_all("tr"):
        header = tr.find("th")
        cells = []
        for td in tr.find_all("td"):
            link = td.find("a")
            if "app-map__gap" in td["class"]:
                assert link is None and "app-map__cell--0" in td["class"]
                assert td.select_one(".govuk-visually-hidden").get_text(strip=True) == "No advice"
                cells.append((None, None))
            elif link:
                cells.append((number(link.contents[0]), link["href"]))
            else:
                cells.append((number(td.get_text()), None))
        *body, total = cells
        rows[header.get_text(strip=True)] = {
            "cells": dict(zip(headers[1:-1], body, strict=True)),
            "total": total,
        }
    footer = [td.find("a") for td in table.tfoot.find_all("td")]
    totals = [(number(a.contents[0]), a["href"]) if a else (0, None) for a in footer]
    return {
        "rows_label": headers[0],
        "columns": headers[1:-1],
        "rows": rows,
        "column_totals": dict(zip(headers[1:-1], totals[:-1], strict=True)),
        "total": totals[-1],
    }


def result_count(soup) -> int:
    return number(soup.select_one("#result-count").get_text().split()[0])


# -- brute force ------------------------------------------------------------------------------------


def axis_values(vocabularies, corpus, dimension, filters, year_from, year_to) -> list[tuple[str, str]]:
    """What an axis should show: every value of the vocabulary (or year of the collection's
    span), only the chosen ones where the search chose some."""
    if dimension == "year":
        years = [meta["published"].year for meta in corpus]
        low = max(min(years), year_from or 0)
        high = min(max(years), year_to or 9999)
        return [(str(year), str(year)) for year in range(low, high + 1)]
    chosen = filters.get(dimension)
    return [
        (term.slug, term.label) for term in vocabularies[dimension].terms if not chosen or term.slug in chosen
    ]


def expected_map(vocabularies, corpus, rows, columns, keyword, filters, year_from, year_to) -> dict:
    request = (keyword, filters, year_from, year_to)
    cells = brute_cells(corpus, rows, columns, *request)
    matches = [meta for meta in corpus if passes(meta, *request)]
    row_values = axis_values(vocabularies, corpus, rows, filters, year_from, year_to)
    column_values = axis_values(vocabularies, corpus, columns, filters, year_from, year_to)

    def having(dimension, value):
        return sum(1 for meta in matches if value in values_of(meta, dimension))

    return {
        "columns": [label for _, label in column_values],
        "rows": {
            row_label: {
                "cells": {column_label: cells.get((row, column)) for column, column_label in column_values},
                "total": having(rows, row),
            }
            for row, row_label in row_values
        },
        "column_totals": {label: having(columns, value) for value, label in column_values},
        "total": len(matches),
        "gaps": sum(
            1 for row, _ in row_values for column, _ in column_values if not cells.get((row, column))
        ),
    }


def map_url(rows, columns, keyword, filters, year_from, year_to) -> str:
    params = [("rows", rows), ("columns", columns)]
    params += [("q", keyword)] if keyword else []
    params += [(name, value) for name, values in filters.items() for value in values]
    params += [("year_from", str(year_from))] if year_from else []
    params += [("year_to", str(year_to))] if year_to else []
    return "/evidence-map?" + "&".join(f"{name}={value}" for name, value in params)


def assert_map_is(found: dict, expected: dict):
    assert found["columns"] == expected["columns"]
    assert list(found["rows"]) == list(expected["rows"])
    for label, row in expected["rows"].items():
        counts = {column: count for column, (count, _) in found["rows"][label]["cells"].items()}
        assert counts == row["cells"], label
        assert found["rows"][label]["total"][0] == row["total"], label
    assert {column: count for column, (count, _) in found["column_totals"].items()} == expected[
        "column_totals"
    ]
    assert found["total"][0] == expected["total"]


# -- the evidence map -------------------------------------------------------------------------------

PAIRS = [
    ("sector", "legal_form"),
    ("deliverable_type", "region"),
    ("year", "programme"),
    ("legal_form", "year"),
    ("region", "sector"),
]


@pytest.mark.parametrize(("rows", "columns"), PAIRS)
def test_the_maps_counts_match_brute_force(client, corpus, vocabularies, rows, columns):
    seed = DIMENSIONS.index(rows) * 10 + DIMENSIONS.index(columns)
    for request in [(None, {}, None, None), *itertools.islice(random_requests(corpus, seed=seed), 6)]:
        soup = get_page(client, map_url(rows, columns, *request))
        expected = expected_map(vocabularies, corpus, rows, columns, *request)
        assert_map_is(read_map(soup), expected)
        summary = soup.select_one("#map-summary").get_text(" ", strip=True)
        assert summary == (
            f"{expected['total']} deliverable{'s' if expected['total'] != 1 else ''}; "
            f"{expected['gaps']} of {len(expected['rows'])}×{len(expected['columns'])} "
            "combinations have no advice"
        ), request


@pytest.mark.parametrize(
    "url",
    [
        "/evidence-map",
        "/evidence-map?rows=year&columns=region&q=ballot&year_from=2014&year_to=2019",
        "/evidence-map?rows=programme&columns=legal_form&legal_form=community-interest-company"
        "&legal_form=co-operative-society&sector=libraries&sector=housing",
    ],
)
def test_every_count_on_the_map_leads_to_a_search_that_finds_that_many(client, url):
    found = read_map(get_page(client, url))
    links = [cell for row in found["rows"].values() for cell in (*row["cells"].values(), row["total"])]
    links += [*found["column_totals"].values(), found["total"]]
    followed = 0
    for count, href in links:
        if not count:
            assert href is None
            continue
        assert href and urlsplit(href).path == "/search"
        # The whole collection's map has a hundred links: each is asked of the API (the same
        # parameters, the same reading of them), and every eighth page is followed.
        if url == "/evidence-map" and followed % 8:
            answer = client.get(f"/api/search?{urlsplit(href).query}&per_page=1").get_json()
            assert answer["total"] == count, href
        else:
            assert result_count(get_page(client, href)) == count, href
        followed += 1
    assert followed >= 5


def test_a_cells_link_adds_both_values_to_the_search(client, corpus):
    meta = next(meta for meta in corpus if "ballot" in meta["keywords"] and meta["published"].year >= 2013)
    sector, provider = meta["sector"][0], meta["provider"][0]
    url = (
        f"/evidence-map?rows=year&columns=sector&q=ballot&provider={provider}&year_from=2013&sector={sector}"
    )
    found = read_map(get_page(client, url))
    count, href = next(cell for row in found["rows"].values() for cell in row["cells"].values() if cell[0])
    params = parse_qsl(urlsplit(href).query)
    assert ("q", "ballot") in params and ("provider", provider) in params
    assert ("sector", sector) in params
    year_from, year_to = dict(params)["year_from"], dict(params)["year_to"]
    assert year_from == year_to and int(year_from) >= 2013
    assert [name for name, _ in params].count("year_from") == 1


def test_gaps_and_shades_are_classes(client, corpus, vocabularies):
    soup = get_page(client, "/evidence-map")
    expected = expected_map(vocabularies, corpus, "sector", "legal_form", None, {}, None, None)
    largest = max(count or 0 for row in expected["rows"].values() for count in row["cells"].values())
    gaps = soup.select("table.app-map td.app-map__gap")
    assert len(gaps) == expected["gaps"] > 0
    for td in soup.select("table.app-map tbody td.app-map__cell"):
        link = td.find("a")
        shade = next(name for name in td["class"] if name.startswith("app-map__cell--"))
        count = number(link.contents[0]) if link else 0
        assert shade == f"app-map__cell--{band(count, largest)}"
    assert soup.select_one("td.app-map__cell--5 a").contents[0].strip() == str(largest)


def test_the_map_table_is_a_table_people_and_screen_readers_can_read(client):
    soup = get_page(client, "/evidence-map?rows=region&columns=year")
    table = soup.select_one("table.app-map")
    assert "region" in table.caption.get_text().lower() and "year" in table.caption.get_text().lower()
    assert all(th["scope"] == "col" for th in table.thead.find_all("th"))
    assert all(tr.find("th")["scope"] == "row" for tr in table.find_all("tr")[1:])
    assert all(th.get("scope") in ("col", "row") for th in table.find_all("th"))
    region = table.find_parent(attrs={"role": "region"})
    assert region["tabindex"] == "0" and region["aria-labelledby"] == table.caption["id"]


def test_the_search_pages_link_maps_the_same_search(client, corpus, vocabularies):
    """Search and filter on the search page, then follow its link to the map."""
    keyword = "actuarial"
    region = next(meta["region"] for meta in corpus if keyword in meta["keywords"] and meta["region"])
    label = vocabularies["region"].label_for(region)
    results = submit(client, get_page(client, "/search"), "form.app-finder", q=keyword)
    results = submit(client, results, "form.app-finder", check=("region", region))
    link = results.find("a", string="See these results as an evidence map")
    assert link is not None
    soup = get_page(client, link["href"])
    expected = expected_map(
        vocabularies, corpus, "sector", "legal_form", keyword, {"region": [region]}, None, None
    )
    assert expected["total"] == result_count(results) > 0
    assert_map_is(read_map(soup), expected)
    assert [item.get_text(strip=True) for item in soup.select("#map-search li")] == [
        f"Words: ‘{keyword}’",
        f"Region: {label}",
    ]

    # Then choose other axes with the map's own form: the search is kept.
    again = submit(client, soup, "form.app-map-form", select=("rows", "year"))
    again_expected = expected_map(
        vocabularies, corpus, "year", "legal_form", keyword, {"region": [region]}, None, None
    )
    assert_map_is(read_map(again), again_expected)
    again = submit(client, again, "form.app-map-form", select=("columns", "deliverable_type"))
    assert_map_is(
        read_map(again),
        expected_map(
            vocabularies, corpus, "year", "deliverable_type", keyword, {"region": [region]}, None, None
        ),
    )
    assert "year of the advice by type of advice" in again.h1.get_text()
    # "Change the search" goes back to the search it is of.
    back = get_page(client, again.find("a", string="Change the search")["href"])
    assert result_count(back) == expected["total"]


def test_the_map_form_refuses_the_same_dimension_twice_and_keeps_the_choices(client):
    soup = get_page(client, "/evidence-map?q=ballot")
    refused = submit(client, soup, "form.app-map-form", status=400, select=("columns", "sector"))
    assert refused.title.get_text().startswith("Error: ")
    summary = refused.select_one(".govuk-error-summary")
    assert "different" in summary.get_text() and summary.find("a")["href"] == "#columns"
    assert refused.select_one("#columns option[selected]")["value"] == "sector"
    assert refused.select_one("#rows option[selected]")["value"] == "sector"
    assert refused.select_one("table.app-map") is None
    assert refused.select_one("form.app-map-form input[name=q]")["value"] == "ballot"


@pytest.mark.parametrize("query", ["rows=provider", "columns=nonsense&rows=region", "rows=&columns="])
def test_mistaken_axes_are_shown_with_an_error(client, query):
    if query == "rows=&columns=":  # empty is the default, not a mistake
        assert read_map(get_page(client, f"/evidence-map?{query}"))["rows_label"] == "Sector"
        return
    soup = get_page(client, f"/evidence-map?{query}", status=400)
    name = query.split("=")[0] if query.startswith("rows=provider") else "columns"
    assert soup.select_one(".govuk-error-summary a")["href"] == f"#{name}"
    assert soup.select_one(f"#{name}-error") is not None


def test_mistaken_search_parameters_are_shown_and_the_rest_mapped(client, corpus, vocabularies):
    soup = get_page(client, "/evidence-map?region=london&sector=libaries&utm_source=x", status=400)
    assert "libaries" in soup.select_one(".govuk-error-summary").get_text()
    expected = expected_map(
        vocabularies, corpus, "sector", "legal_form", None, {"region": ["london"]}, None, None
    )
    assert_map_is(read_map(soup), expected)


def test_unknown_parameters_are_ignored_on_the_page(client):
    assert read_map(get_page(client, "/evidence-map?sectors=libraries&utm_source=mail"))["total"][0] == 60


# -- the map's CSV ----------------------------------------------------------------------------------


def test_the_csv_download_is_the_table(client):
    soup = get_page(client, "/evidence-map?rows=region&columns=programme&q=ballot&year_to=2020")
    link = soup.find("a", string="Download this map (CSV)")
    response = client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    # The file's name says what it holds: the map, its axes, the search and the day.
    today = dt.date.today().isoformat()
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=mutuals-knowledge-base-evidence-map-region-by-programme-ballot-2020-"
        f"{today}.csv"
    )
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    found = read_map(soup)
    assert lines[0] == ["Region", *found["columns"], "Total"]
    for line, (label, row) in zip(lines[1:-1], found["rows"].items(), strict=True):
        counts = [str(count or 0) for count, _ in row["cells"].values()]
        assert line == [label, *counts, str(row["total"][0])]
    assert lines[-1] == [
        "Total",
        *(str(count) for count, _ in found["column_totals"].values()),
        str(found["total"][0]),
    ]
    assert not any(cell.startswith("'") for line in lines for cell in line)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("sectors=libraries&utm_source=x", "sectors, utm_source"),
        ("rows=provider", "rows"),
        ("rows=region&columns=region", "columns"),
        ("sector=libaries", "sector"),
        ("year_from=2015/16", "year_from"),
    ],
)
def test_the_csv_refuses_what_it_does_not_understand(client, query, named):
    response = client.get(f"/evidence-map.csv?{query}")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert named in response.get_data(as_text=True)


def test_the_csv_is_rate_limited(tmp_path):
    app = make_app(tmp_path, EXPORT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [client.get("/evidence-map.csv").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/evidence-map").status_code == 200  # the page is not a download
    backend_of(app).close()


# -- statistics -------------------------------------------------------------------------------------


def table_after(soup, heading_id) -> list[list[str]]:
    heading = soup.find(id=heading_id)
    table = heading.find_next("table")
    return [
        [cell.get_text(strip=True) for cell in tr.find_all(["th", "td"])] for tr in table.tbody.find_all("tr")
    ]


def pounds(text: str) -> float:
    return float(text.removeprefix("£").replace(",", ""))


def test_statistics_match_brute_force(client, corpus, vocabularies):
    check_statistics(get_page(client, "/statistics"), corpus, vocabularies)


def test_statistics_match_brute_force_on_each_database(tmp_path, database_url, corpus, vocabularies):
    """Award values are summed from the database: SQLite and PostgreSQL alike."""
    app = corpus_site(tmp_path, corpus, database_url)
    check_statistics(get_page(app.test_client(), "/statistics"), corpus, vocabularies)
    backend_of(app).close()
    get_database(app).dispose()


def check_statistics(soup, corpus, vocabularies):
    years = Counter(meta["published"].year for meta in corpus)
    span = range(min(years), max(years) + 1)
    assert table_after(soup, "per-year") == [[str(year), str(years[year])] for year in span]
    for heading, name in (
        ("per-programme", "programme"),
        ("per-sector", "sector"),
        ("per-legal-form", "legal_form"),
    ):
        counts = Counter(value for meta in corpus for value in values_of(meta, name))
        assert table_after(soup, heading) == [
            [term.label, str(counts[term.slug])] for term in vocabularies[name].terms
        ], heading

    awarded = [meta for meta in corpus if meta["award_value"] is not None]
    values = [meta["award_value"] for meta in awarded]
    assert (
        soup.select_one("#awards-known").get_text(strip=True).startswith(f"{len(awarded)} of {len(corpus)} ")
    )
    assert pounds(soup.select_one("#awards-total").get_text(strip=True)) == sum(values)
    assert pounds(soup.select_one("#awards-median").get_text(strip=True)) == statistics.median(values)

    by_year = {}
    for meta in awarded:
        by_year.setdefault(meta["published"].year, []).append(meta["award_value"])
    rows = table_after(soup, "awards-per-year")
    assert [row[0] for row in rows] == [str(year) for year in sorted(by_year)]
    for year, known, total, median in rows:
        found = by_year[int(year)]
        assert (int(known), pounds(total), pounds(median)) == (
            len(found),
            sum(found),
            statistics.median(found),
        )

    by_programme = {}
    for meta in awarded:
        if meta["programme"]:
            by_programme.setdefault(meta["programme"], []).append(meta["award_value"])
    labels = {term.label: term.slug for term in vocabularies["programme"].terms}
    rows = table_after(soup, "awards-per-programme")
    assert {labels[row[0]] for row in rows} == set(by_programme)
    for label, known, total, median in rows:
        found = by_programme[labels[label]]
        assert (int(known), pounds(total), pounds(median)) == (
            len(found),
            sum(found),
            statistics.median(found),
        )


def test_each_chart_is_an_svg_image_with_a_name_and_its_table(client):
    soup = get_page(client, "/statistics")
    svgs = soup.find_all("svg")
    assert len(svgs) == 6
    for svg in svgs:
        assert svg["role"] == "img"
        names = [soup.find(id=ref).get_text(strip=True) for ref in svg["aria-labelledby"].split()]
        assert names[0] and "table" in names[1]
        assert svg.find_next("table") is not None
        bars = svg.find_all("rect", class_="app-chart__bar")
        values = [text.get_text() for text in svg.find_all("text", class_="app-chart__value")]
        assert len(bars) == len(values) > 0
        widths = [float(bar["width"]) for bar in bars]
        assert max(widths) > 0 and all(width >= 0 for width in widths)
    # the bars are in proportion to the table's figures
    year_svg = soup.find("svg", attrs={"aria-labelledby": re.compile("chart-per-year")})
    counts = [number(row[1]) for row in table_after(soup, "per-year")]
    widths = [float(bar["width"]) for bar in year_svg.find_all("rect")]
    largest = max(counts)
    assert all(
        abs(width - widths[counts.index(largest)] * count / largest) < 0.2
        for width, count in zip(widths, counts, strict=True)
    )


def test_money_is_written_as_people_write_it():
    from knowledgebase.web.charts import money

    assert money(12500) == "£12,500"
    assert money(12500.5) == "£12,500.50"
    assert money(12500.0) == "£12,500"
    assert money(None) == "not known"


# -- glossary ---------------------------------------------------------------------------------------


def test_the_glossary_lists_every_value_with_its_description(client):
    soup = get_page(client, "/glossary")
    data = yaml.safe_load(VOCABULARIES.read_text(encoding="utf-8"))
    contents = [a["href"] for a in soup.select("nav.app-contents a")]
    assert contents == [f"#{name.replace('_', '-')}" for name in VOCABULARY_NAMES]
    assert set(VOCABULARY_NAMES) == set(data)
    for name, section in data.items():
        heading = soup.find("h2", id=name.replace("_", "-"))
        assert heading.get_text(strip=True) == section["label"]
        rows = heading.find_next("dl").select(".govuk-summary-list__row")
        assert len(rows) == len(section["values"])
        for row, value in zip(rows, section["values"], strict=True):
            key = row.select_one(".govuk-summary-list__key")
            assert key.get_text(strip=True) == value["label"]
            text = row.select_one(".govuk-summary-list__value").get_text(" ", strip=True)
            assert value.get("description", "") in text
            if value.get("aliases"):
                assert f"Also called: {', '.join(value['aliases'])}" in text
            else:
                assert "Also called" not in text
            hrefs = [a["href"] for a in row.find_all("a")]
            assert f"/search?{name}={value['slug']}" in hrefs
            if name == "sector":
                assert key.a["href"] == f"/sectors/{value['slug']}"
            elif name == "legal_form":
                assert key.a["href"] == f"/legal-forms/{value['slug']}"


def test_the_glossarys_search_links_say_how_many_they_find(client):
    soup = get_page(client, "/glossary")
    link = soup.find("a", href="/search?legal_form=community-interest-company")
    shown = number(re.search(r"Search ([\d,]+) piece", link.get_text()).group(1))
    assert shown == result_count(get_page(client, link["href"]))


# -- getting there ----------------------------------------------------------------------------------

LINKS = {
    "Evidence map: where advice exists and where it does not": "/evidence-map",
    "Statistics about the advice": "/statistics",
    "Glossary of sectors, legal forms and types of advice": "/glossary",
}


@pytest.mark.parametrize("start", ["/", "/search?q=ballot"])
def test_home_and_search_pages_link_the_research_pages(client, start):
    soup = get_page(client, start)
    for text, path in LINKS.items():
        if start != "/" and path == "/evidence-map":
            text = "See these results as an evidence map"
        link = soup.find("a", string=text)
        assert link is not None, text
        assert urlsplit(link["href"]).path == path
        get_page(client, link["href"])


def test_the_research_pages_are_in_the_sitemap_and_open_to_crawlers(client):
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    robots = client.get("/robots.txt").get_data(as_text=True).splitlines()
    # RFC 9309: a rule is a prefix of the path and query, "?" is literal. (Python's robotparser
    # drops a trailing "?", so it would read "Disallow: /search?" as all of /search.)
    rules = [line.removeprefix("Disallow: ") for line in robots if line.startswith("Disallow: ")]

    def allowed(address):
        return not any(address.startswith(rule) for rule in rules)

    for path in LINKS.values():
        assert f"{path}</loc>" in sitemap
        assert allowed(path)
    assert not allowed("/evidence-map?rows=year")
    assert not allowed("/evidence-map.csv")


def test_the_research_pages_work_before_there_is_any_advice(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    soup = get_page(client, "/evidence-map?rows=year&columns=sector")
    assert soup.select_one("table.app-map") is None
    assert "no advice to map yet" in soup.select_one("main").get_text()
    found = read_map(get_page(client, "/evidence-map"))
    assert found["total"] == (0, None) and all(
        count is None for row in found["rows"].values() for count, _ in row["cells"].values()
    )
    assert client.get("/evidence-map.csv").status_code == 200
    statistics_page = get_page(client, "/statistics")
    assert "0 of 0" in statistics_page.select_one("#awards-known").get_text()
    get_page(client, "/glossary")
    backend_of(app).close()
