"""`kb export`: the open-data archive of every published deliverable, its checksum, the atomic
replacement of the served copy, and the /data page and stable URLs that serve it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from knowledgebase import exports
from knowledgebase.db import get_database
from knowledgebase.vocab import load_vocabularies

from .conftest import VOCABULARIES, backend_of, ingest_into, make_app
from .pages import get_page

PUBLIC = "https://mutuals.example.org"


@pytest.fixture
def site(tmp_path, write):
    app = make_app(tmp_path, PUBLIC_URL=PUBLIC, EXPORT_DIR=str(tmp_path / "served"))
    write("pensions.md", title="Pensions note", provider=["Smith; Jones & Co"])
    write("libraries.md", title="Library plan", sector=["libraries"], licence="CC-BY-4.0")
    write("gone.md", title="Withdrawn plan")
    assert ingest_into(app, write.folder).ok
    result = app.test_cli_runner().invoke(args=["withdraw", "gone", "--reason", "Superseded."])
    assert result.exit_code == 0, result.output
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def export(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_archive_holds_metadata_sources_readme_licence_and_citation(site, tmp_path, write):
    output = export(site, str(tmp_path / "out"))
    path = tmp_path / "out" / exports.ARCHIVE_NAME
    assert f"wrote {path} (2 deliverables" in output
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert names == {
            "deliverables.csv",
            "deliverables.jsonl",
            "sources/libraries.md",
            "sources/pensions.md",
            "README.md",
            "vocabularies.csv",
            "LICENCE",
            "CITATION.cff",
        }
        labels = list(csv.DictReader(io.StringIO(archive.read("vocabularies.csv").decode("utf-8"))))
        rows = list(csv.DictReader(io.StringIO(archive.read("deliverables.csv").decode("utf-8"))))
        lines = [json.loads(line) for line in archive.read("deliverables.jsonl").decode().splitlines()]
        source = archive.read("sources/pensions.md").decode("utf-8")
        readme = archive.read("README.md").decode("utf-8")
        licence = archive.read("LICENCE").decode("utf-8")
        citation = yaml.safe_load(archive.read("CITATION.cff"))
    assert [row["slug"] for row in rows] == [line["slug"] for line in lines] == ["libraries", "pensions"]
    assert list(rows[0]) == list(exports.COLUMNS)
    assert exports.split_many(rows[1]["provider"]) == ["Smith; Jones & Co"]
    assert rows[1]["url"] == f"{PUBLIC}/deliverables/pensions"
    assert source == (write.folder / "pensions.md").read_text(encoding="utf-8")
    assert "2 deliverables" in readme and "| `award_value` | Value of support |" in readme
    assert "\\;" in readme and "How to cite" in readme
    assert "vocabularies.csv" in readme and "docs/contract.md" not in readme
    # Every slug a vocabulary column can hold has its label and meaning beside it.
    vocabularies = load_vocabularies(VOCABULARIES)
    assert [(row["vocabulary"], row["slug"]) for row in labels] == [
        (vocabulary.name, term.slug) for vocabulary in vocabularies for term in vocabulary.terms
    ]
    pensions = rows[1]
    for name in ("sector", "legal_form", "deliverable_type"):
        for slug in exports.split_many(pensions[name]):
            match = [row for row in labels if (row["vocabulary"], row["slug"]) == (name, slug)]
            assert match and match[0]["label"] == vocabularies[name].label_for(slug)
            assert match[0]["description"] == vocabularies[name].term(slug).description
    assert "Open Government Licence v3.0" in licence
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in licence
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "OGL-UK-3.0"
    assert citation["url"] == f"{PUBLIC}/data" and citation["title"]


def test_the_checksum_file_verifies_the_archive(site, tmp_path):
    export(site, str(tmp_path / "out"))
    folder = tmp_path / "out"
    digest, name = (folder / exports.CHECKSUM_NAME).read_text().split()
    assert name == exports.ARCHIVE_NAME and digest == sha256(folder / name)
    manifest = json.loads((folder / exports.MANIFEST_NAME).read_text())
    assert manifest["sha256"] == digest and manifest["deliverables"] == 2
    assert manifest["bytes"] == (folder / name).stat().st_size
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [exports.ARCHIVE_NAME, exports.CHECKSUM_NAME, exports.MANIFEST_NAME]
    )


def test_kb_export_without_a_folder_writes_where_the_site_serves_it(site, tmp_path):
    export(site)
    assert (tmp_path / "served" / exports.ARCHIVE_NAME).is_file()


def test_a_rebuild_keeps_the_old_archive_whole_until_the_new_one_is_complete(site, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    export(site, str(folder))
    old = (folder / exports.ARCHIVE_NAME).read_bytes()
    old_checksum = (folder / exports.CHECKSUM_NAME).read_text()
    seen = []

    def while_writing(made, public_base):
        # Late in the rebuild, the served archive is still the old one, whole and verifiable.
        seen.append((folder / exports.ARCHIVE_NAME).read_bytes() == old)
        assert old_checksum.split()[0] == sha256(folder / exports.ARCHIVE_NAME)
        return "cff-version: 1.2.0\n"

    monkeypatch.setattr(exports, "citation_cff", while_writing)
    site.test_cli_runner().invoke(args=["withdraw", "libraries", "--reason", "Out of date."])
    export(site, str(folder))
    assert seen == [True]
    with zipfile.ZipFile(folder / exports.ARCHIVE_NAME) as archive:
        assert "sources/libraries.md" not in archive.namelist()
    assert (folder / exports.CHECKSUM_NAME).read_text().split()[0] == sha256(folder / exports.ARCHIVE_NAME)


def test_a_failed_rebuild_leaves_the_old_archive_and_no_temporary_files(site, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    export(site, str(folder))
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "licence_text", fail)
    result = site.test_cli_runner().invoke(args=["export", str(folder)])
    assert result.exit_code == 1
    assert "cannot write the archive" in result.output and "disk full" in result.output
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_the_site_serves_the_latest_archive_at_a_stable_address(site):
    client = site.test_client()
    missing = get_page(client, "/data/mutuals-knowledge-base.zip", status=404)
    assert "has not been made yet" in missing.get_text()
    assert client.get("/data/mutuals-knowledge-base.zip.sha256").status_code == 404
    page = get_page(client, "/data")
    assert "has not been made yet" in page.select_one(".govuk-inset-text").get_text()

    export(site)
    page = get_page(client, "/data")
    download = page.find("a", string=lambda value: value and value.startswith("Download all the data"))
    with client.get(download["href"]) as response:
        body = response.data
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == f"attachment; filename={exports.ARCHIVE_NAME}"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    digest = hashlib.sha256(body).hexdigest()
    summary = page.select_one(".govuk-summary-list").get_text(" ", strip=True)
    assert "Deliverables 2" in summary
    assert page.select_one(".govuk-summary-list code").get_text() == digest
    checksum = page.find("a", string="checksum file")
    with client.get(checksum["href"]) as response:
        assert response.get_data(as_text=True) == f"{digest}  {exports.ARCHIVE_NAME}\n"
    assert "Open Government Licence v3.0" in page.select_one("#licence + p").get_text()


def test_the_about_page_links_the_data_page(sample_client):
    about = get_page(sample_client, "/about")
    link = about.find("a", string="download the data")
    get_page(sample_client, link["href"])


def test_the_home_and_search_pages_lead_to_the_open_data_and_the_downloads(sample_client):
    home = get_page(sample_client, "/")
    link = home.find("a", string="Download all the advice as open data")
    data = get_page(sample_client, link["href"])
    assert data.find("h1")
    search = get_page(sample_client, "/search?q=pensions")
    # The sidebar's link jumps to the download links under the results, which are there.
    jump = search.find("a", string="Download these results")
    assert jump["href"] == "#download" and search.find(id="download").find("a", download=True)
    assert search.find("a", string="Download all the advice as open data")["href"] == link["href"]
    # A search with no results has nothing to download, so the sidebar offers nothing to jump to.
    empty = get_page(sample_client, "/search?q=zzzqqqxxx")
    assert not empty.find("a", string="Download these results") and not empty.find(id="download")


def test_downloads_and_the_archive_on_both_databases(tmp_path, write, database_url):
    """The batched reads are plain SQL (`IN` lists, ordered value rows): the same on SQLite and
    PostgreSQL (run with KB_TEST_DATABASE_URL set)."""
    app = make_app(tmp_path, database_url, PUBLIC_URL=PUBLIC)
    write("one.md", title="One", provider=["B; C", "A"], tags=["z", "y"])
    write("two.md", title="Two", sector=["libraries", "housing"])
    assert ingest_into(app, write.folder).ok
    client = app.test_client()
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv?sort=title").get_data(as_text=True))))
    assert [row["slug"] for row in rows] == ["one", "two"]
    assert exports.split_many(rows[0]["provider"]) == ["B; C", "A"]
    assert rows[0]["tags"] == "z; y" and rows[1]["sector"] == "libraries; housing"
    export(app, str(tmp_path / "out"))
    with zipfile.ZipFile(tmp_path / "out" / exports.ARCHIVE_NAME) as archive:
        assert {"sources/one.md", "sources/two.md"} <= set(archive.namelist())
    backend_of(app).close()
    get_database(app).dispose()
