"""Cite this deliverable: Harvard-style text on the page, and BibTeX, RIS and plain-text files
reached through the page's own links, on the public address."""

import datetime as dt
import re

import pytest
from werkzeug.http import parse_options_header

from knowledgebase.citations import Citation, bibtex, harvard, ris

from .conftest import ingest_into, make_app
from .pages import get_page

TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def site(tmp_path, write):
    app = make_app(tmp_path, PUBLIC_URL="https://mutuals.example.org")
    write("knowsley-youth-2013.md", provider=["Mutual Ventures", "Bates Wells Braithwaite"])
    write(
        "odd-2019.md",
        title="Costs & {braces}: 100% of $pay_#1 ~ ^ \\ done",
        provider=["Smith & Jones"],
        organisation="=HYPERLINK(evil)",
        published="2019-11-03",
    )
    ingest_into(app, write.folder)
    return app


def links(client, slug):
    page = get_page(client, f"/deliverables/{slug}")
    section = page.find(id="cite-heading").parent
    return page, section, {a.get_text(" ", strip=True).split(" ")[0]: a["href"] for a in section.select("a")}


def download(client, href, extension, media_type):
    response = client.get(href)
    assert response.status_code == 200
    assert response.mimetype == media_type
    disposition = parse_options_header(response.headers["Content-Disposition"])
    assert disposition[0] == "attachment" and disposition[1]["filename"].endswith("." + extension)
    return response.get_data(as_text=True)


def test_the_page_shows_a_harvard_citation_with_the_stable_public_address(site):
    client = site.test_client()
    page, section, found = links(client, "knowsley-youth-2013")
    text = section.select_one(".app-citation__text").get_text(" ", strip=True)
    assert text == (
        "Mutual Ventures and Bates Wells Braithwaite (2013) Business plan for a staff-led youth services "
        "mutual. Business plan prepared for Knowsley Youth Services. Mutuals knowledge base. Available at: "
        "https://mutuals.example.org/deliverables/knowsley-youth-2013 "
        f"(Accessed: {TODAY.day} {TODAY:%B %Y})."
    )
    assert set(found) == {"BibTeX", "RIS", "plain"}
    assert page.find("a", string="Cite this deliverable")["href"] == "#cite-heading"
    plain = download(client, found["plain"], "txt", "text/plain")
    assert plain == text + "\n"


def test_bibtex_download_is_one_techreport_entry_with_braced_corporate_authors(site):
    client = site.test_client()
    _, _, found = links(client, "knowsley-youth-2013")
    entry = download(client, found["BibTeX"], "bib", "application/x-bibtex")
    assert entry.startswith("@techreport{Mutual2013-knowsley-youth-2013,\n")
    assert "  author = {{Mutual Ventures} and {Bates Wells Braithwaite}},\n" in entry
    assert "  year = {2013},\n" in entry and "  month = {feb},\n" in entry
    assert "  url = {https://mutuals.example.org/deliverables/knowsley-youth-2013},\n" in entry
    assert f"  urldate = {{{TODAY.isoformat()}}},\n" in entry
    assert entry.count("{") == entry.count("}")


def test_bibtex_escapes_what_tex_would_read_as_commands(site):
    client = site.test_client()
    _, _, found = links(client, "odd-2019")
    entry = download(client, found["BibTeX"], "bib", "application/x-bibtex")
    title = re.search(r"  title = \{\{(.*)\}\},\n", entry).group(1)
    assert title == (
        r"Costs \& \{braces\}: 100\% of \$pay\_\#1 \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} done"
    )
    assert r"{{Smith \& Jones}}" in entry
    # Braces balance once escaped braces are set aside, so the entry parses.
    unescaped = entry.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")


def test_ris_download_has_one_record_with_crlf_lines(site):
    client = site.test_client()
    _, _, found = links(client, "knowsley-youth-2013")
    record = download(client, found["RIS"], "ris", "application/x-research-info-systems")
    lines = record.split("\r\n")
    assert lines[0] == "TY  - RPRT"
    assert lines[1:3] == ["AU  - Mutual Ventures", "AU  - Bates Wells Braithwaite"]
    assert "PY  - 2013" in lines and "DA  - 2013/02/15" in lines
    assert "UR  - https://mutuals.example.org/deliverables/knowsley-youth-2013" in lines
    assert f"Y2  - {TODAY:%Y/%m/%d}" in lines
    assert lines[-2:] == ["ER  -", ""]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  -( .*)?", line) for line in lines[:-1])


def test_a_withdrawn_deliverable_stays_citable_and_says_so(site):
    runner = site.test_cli_runner()
    assert runner.invoke(args=["withdraw", "odd-2019", "--reason", "Superseded."]).exit_code == 0
    client = site.test_client()
    page, section, found = links(client, "odd-2019")
    assert f"Withdrawn {TODAY.day} {TODAY:%B %Y}." in section.get_text()
    assert f"N1  - Withdrawn {TODAY.isoformat()}" in download(
        client, found["RIS"], "ris", "application/x-research-info-systems"
    )


def test_unknown_formats_and_deliverables_are_404(site):
    client = site.test_client()
    assert client.get("/deliverables/knowsley-youth-2013/cite.pdf").status_code == 404
    assert client.get("/deliverables/nothing-here/cite.bib").status_code == 404


def test_a_single_author_and_a_title_ending_in_a_full_stop():
    citation = Citation(
        slug="x",
        title="Options appraisal.",
        authors=("Baxendale",),
        published=dt.date(2016, 3, 1),
        kind="Options appraisal",
        prepared_for="A library service.",
        url="https://example.org/deliverables/x",
        accessed=dt.date(2026, 11, 25),
    )
    assert harvard(citation) == (
        "Baxendale (2016) Options appraisal. Options appraisal prepared for A library service. "
        "Mutuals knowledge base. Available at: https://example.org/deliverables/x "
        "(Accessed: 25 November 2026)."
    )
    assert "@techreport{Baxendale2016-x," in bibtex(citation)
    assert ris(citation).count("AU  - ") == 1
