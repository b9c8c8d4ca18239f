"""Ingest: storage on SQLite and PostgreSQL, idempotence, partial failure, recovery, locking, CLI."""

import os
import subprocess
import sys
import threading

import pytest
from filelock import FileLock
from sqlalchemy import func, select

from knowledgebase import content
from knowledgebase.db import get_database
from knowledgebase.ingest import check, reindex, withdraw
from knowledgebase.models import Deliverable, DeliverableProvider, DeliverableSector, utcnow
from knowledgebase.search import SearchRequest
from knowledgebase.vocab import load_vocabularies

from .conftest import ROOT, backend_of, ingest_into, make_app, sqlite_at_head


@pytest.fixture
def store_app(tmp_path, database_url):
    """An app on each database the storage tests run against."""
    app = make_app(tmp_path, database_url)
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def rows(app):
    with get_database(app).session() as session:
        return {row.slug: row for row in session.scalars(select(Deliverable))}


def search_slugs(app, **request):
    return [hit.slug for hit in backend_of(app).search(SearchRequest(**request)).hits]


def test_ingest_stores_metadata_as_rows(store_app, write):
    write(
        "a.md",
        sector=["youth-services", "Libraries"],
        provider=["Mutual Ventures", "Bevan Brittan"],
        tags=["tupe", "pensions"],
    )
    report = ingest_into(store_app, write.folder)
    assert (report.count("added"), report.ok) == (1, True)
    row = rows(store_app)["a"]
    assert row.sector == ["youth-services", "libraries"]
    assert row.provider == ["Mutual Ventures", "Bevan Brittan"]
    assert row.tags == ["tupe", "pensions"]
    assert row.indexed_hash == row.content_hash
    assert "<h2" in row.body_html and row.markdown.startswith("---")
    with get_database(store_app).session() as session:
        assert session.scalar(select(func.count()).select_from(DeliverableSector)) == 2
        assert session.scalar(select(func.count()).select_from(DeliverableProvider)) == 2


def test_ingest_is_idempotent_and_updates_changed_files(store_app, write):
    write("a.md")
    path_b = write("b.md", title="Pensions note")
    assert ingest_into(store_app, write.folder).count("added") == 2
    second = ingest_into(store_app, write.folder)
    assert (second.count("unchanged"), second.count("added"), second.count("updated")) == (2, 0, 0)
    path_b.write_text(
        path_b.read_text()
        .replace("Pensions note", "Revised pensions note")
        .replace("- youth-services", "- libraries\n- youth-services")
    )
    third = ingest_into(store_app, write.folder)
    assert (third.count("unchanged"), third.count("updated")) == (1, 1)
    row = rows(store_app)["b"]
    assert row.title == "Revised pensions note"
    assert row.sector == ["libraries", "youth-services"]
    assert search_slugs(store_app, q="revised") == ["b"]
    assert backend_of(store_app).count() == 2


def test_valid_files_go_in_when_others_are_rejected(store_app, write):
    write("good.md")
    write("bad-date.md", published="2013-13-45")
    write("bad-sector.md", sector=["space"])
    report = ingest_into(store_app, write.folder)
    assert report.count("added") == 1 and not report.ok
    assert {
        outcome.path.rsplit("/", 1)[-1]: [e.key for e in outcome.errors] for outcome in report.rejected
    } == {"bad-date.md": ["published"], "bad-sector.md": ["sector"]}
    assert set(rows(store_app)) == {"good"}
    assert search_slugs(store_app) == ["good"]


def test_duplicate_slugs_are_rejected(store_app, write):
    write("a.md")
    write("other.md", slug="a")
    report = ingest_into(store_app, write.folder)
    assert report.count("added") == 1
    assert [error.key for error in report.rejected[0].errors] == ["slug"]


def test_missing_path_is_reported(store_app, tmp_path):
    report = ingest_into(store_app, tmp_path / "nowhere")
    assert not report.ok and "does not exist" in report.rejected[0].errors[0].message


def test_interrupted_ingest_is_finished_by_the_next_one(store_app, write, monkeypatch):
    write("a.md")
    write("b.md")
    backend = backend_of(store_app)
    ingest_into(store_app, write.folder)  # creates the index
    write("c.md", title="A late arrival")

    def crash(_documents):
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(backend, "add", crash)
    with pytest.raises(RuntimeError):
        ingest_into(store_app, write.folder)
    monkeypatch.undo()
    assert "c" in rows(store_app) and rows(store_app)["c"].indexed_hash is None
    assert "c" not in search_slugs(store_app)
    report = ingest_into(store_app, write.folder)
    assert report.count("unchanged") == 3 and report.indexed == 1
    assert search_slugs(store_app, q="late arrival") == ["c"]


def test_lost_index_is_rebuilt_from_the_database(store_app, write, tmp_path):
    import shutil

    write("a.md")
    ingest_into(store_app, write.folder)
    backend_of(store_app).close()
    shutil.rmtree(tmp_path / "index")
    report = ingest_into(store_app, write.folder)
    assert report.count("unchanged") == 1 and report.indexed == 1
    assert search_slugs(store_app) == ["a"]


def test_second_ingest_waits_then_fails_clearly(app, write):
    write("a.md")
    lock = FileLock(app.config["INGEST_LOCK"])
    with lock:
        app.config["INGEST_LOCK_TIMEOUT"] = 0.2
        runner = app.test_cli_runner()
        result = runner.invoke(args=["ingest", str(write.folder)])
    assert result.exit_code != 0
    assert "another ingest" in result.output
    assert rows(app) == {}


def test_ingest_waits_for_a_running_one(app, write):
    write("a.md")
    held = threading.Event()

    def hold_briefly():
        with FileLock(app.config["INGEST_LOCK"]):
            held.set()
            threading.Event().wait(0.5)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    held.wait(5)
    report = ingest_into(app, write.folder)
    holder.join()
    assert report.count("added") == 1


def test_concurrent_ingest_processes_do_not_corrupt(tmp_path, write):
    for number in range(30):
        write(f"doc-{number:02d}.md", title=f"Deliverable number {number}")
    env = {
        **os.environ,
        "KB_DATABASE_URL": sqlite_at_head(tmp_path / "kb.sqlite3"),
        "KB_INDEX_DIR": str(tmp_path / "index"),
        "KB_INGEST_LOCK": str(tmp_path / "ingest.lock"),
        "KB_VOCABULARIES": str(ROOT / "content" / "vocabularies.yml"),
    }
    command = [sys.executable, "-m", "knowledgebase.cli", "ingest", str(write.folder)]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sorted(output.splitlines()[-1].split(" in ")[0] for output in outputs) == [
        "30 added, 0 rejected",
        "30 unchanged, 0 rejected",
    ]
    app = make_app(tmp_path)
    assert len(rows(app)) == 30
    assert backend_of(app).count() == 30
    backend_of(app).close()


def test_check_writes_nothing(app, write):
    write("a.md")
    write("b.md", region="atlantis")
    report = check([write.folder], load_vocabularies(ROOT / "content" / "vocabularies.yml"))
    assert (report.count("checked"), len(report.rejected)) == (1, 1)
    assert rows(app) == {}


def test_cli_ingest_reports_rejections_and_exits_non_zero(runner, write, app):
    write("good.md")
    write("bad.md", legal_form=["limited liability partnership"])
    result = runner.invoke(args=["ingest", str(write.folder)])
    assert result.exit_code == 1, result.output
    assert "1 added, 1 rejected" in result.output
    assert "bad.md:" in result.output and "legal_form:" in result.output
    again = runner.invoke(args=["ingest", str(write.folder / "good.md")])
    assert again.exit_code == 0, again.output
    assert "1 unchanged, 0 rejected" in again.output


def test_cli_check_and_reindex(runner, write, app):
    write("good.md")
    result = runner.invoke(args=["check", str(write.folder)])
    assert result.exit_code == 0, result.output
    assert "1 checked, 0 rejected" in result.output
    assert runner.invoke(args=["ingest", str(write.folder)]).exit_code == 0
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 1 deliverables" in result.output
    assert search_slugs(app) == ["good"]


def test_withdrawn_deliverable_leaves_search_and_stays_visible_with_a_notice(runner, write, app, client):
    write("a.md")
    write("b.md")
    runner.invoke(args=["ingest", str(write.folder)])
    result = runner.invoke(args=["withdraw", "a", "--reason", "Superseded by the 2015 plan."])
    assert result.exit_code == 0, result.output
    assert search_slugs(app) == ["b"]
    page = client.get("/deliverables/a")
    assert page.status_code == 200 and b"This advice was withdrawn on" in page.data
    assert b"Superseded by the 2015 plan." in page.data
    withdrawn = client.get("/api/deliverables/a").get_json()["withdrawn"]
    assert withdrawn["reason"] == "Superseded by the 2015 plan." and withdrawn["date"]
    assert client.get("/api/deliverables/b").get_json()["withdrawn"] is None
    assert client.get("/deliverables/a.md").status_code == 410
    assert runner.invoke(args=["withdraw", "zzz", "--reason", "Gone."]).exit_code != 0
    # Ingesting again, even a changed file, does not silently republish it.
    (write.folder / "a.md").write_text((write.folder / "a.md").read_text() + "\nMore.\n")
    runner.invoke(args=["ingest", str(write.folder)])
    assert search_slugs(app) == ["b"]


def test_pages_and_api_read_from_each_database(store_app, write):
    write("a.md", sector=["housing", "libraries"])
    ingest_into(store_app, write.folder)
    client = store_app.test_client()
    result = client.get("/api/search?q=tupe").get_json()["results"][0]
    assert (result["slug"], result["sector"]) == ("a", ["housing", "libraries"])
    assert client.get("/api/deliverables/a").get_json()["legal_form"] == ["community-interest-company"]
    assert client.get("/deliverables/a").status_code == 200


def test_many_files_are_parsed_in_worker_processes_with_the_same_outcome(app, write, monkeypatch):
    from knowledgebase import ingest as ingesting

    monkeypatch.setattr(ingesting, "PARALLEL_FROM", 2)
    for number in range(6):
        write(f"doc-{number}.md", title=f"Deliverable {number}")
    write("bad.md", published="2013-13-45")
    report = ingest_into(app, write.folder)
    assert (report.count("added"), [o.path.rsplit("/", 1)[-1] for o in report.rejected]) == (6, ["bad.md"])
    assert report.rejected[0].errors[0].key == "published"
    assert sorted(rows(app)) == [f"doc-{number}" for number in range(6)]


def test_index_built_with_another_schema_is_rebuilt_not_served(app, write, client):
    from knowledgebase.search import whoosh_backend

    write("a.md")
    ingest_into(app, write.folder)
    backend = backend_of(app)
    backend.close()
    index_dir = backend.store.root
    old = index_dir / "gen-v1-20130101T000000-deadbeef"
    (index_dir / backend.store.current_name()).rename(old)
    (index_dir / "CURRENT").write_text(old.name + "\n")
    assert backend.is_empty()
    assert client.get("/api/search?q=tupe").get_json()["total"] == 0
    report = ingest_into(app, write.folder)
    assert report.count("unchanged") == 1 and report.indexed == 1
    assert backend.store.current_name().startswith(whoosh_backend.GENERATION_PREFIX)
    assert client.get("/api/search?q=tupe").get_json()["total"] == 1


def test_a_new_rendering_version_re_renders_unchanged_files(app, write, monkeypatch):
    from knowledgebase import content

    write("a.md")
    ingest_into(app, write.folder)
    monkeypatch.setattr(content, "RENDERING_VERSION", "next")
    report = ingest_into(app, write.folder)
    assert (report.count("updated"), report.indexed) == (1, 1)


def dates(app, slug="a"):
    row = rows(app)[slug]
    return row.first_published_at, row.last_changed_at


def test_dates_stay_when_only_rendering_index_path_or_status_change(store_app, write, monkeypatch):
    write("one.md", slug="a")
    ingest_into(store_app, write.folder)
    first = dates(store_app)
    assert first[0] == first[1] and first[0] is not None
    assert ingest_into(store_app, write.folder).count("unchanged") == 1
    monkeypatch.setattr(content, "RENDERING_VERSION", "next")
    assert ingest_into(store_app, write.folder).count("updated") == 1
    with store_app.app_context():
        reindex(
            database=get_database(store_app),
            backend=backend_of(store_app),
            vocabularies=load_vocabularies(ROOT / "content" / "vocabularies.yml"),
            lock_path=store_app.config["INGEST_LOCK"],
        )
    (write.folder / "one.md").rename(write.folder / "two.md")  # renamed, the same slug
    assert ingest_into(store_app, write.folder).count("updated") == 1
    (write.folder / "moved").mkdir()
    (write.folder / "two.md").rename(write.folder / "moved" / "two.md")
    assert ingest_into(store_app, write.folder).count("updated") == 1
    crlf = (write.folder / "moved" / "two.md").read_text().replace("\n", "\r\n")
    (write.folder / "moved" / "two.md").write_bytes(crlf.encode())  # a Windows checkout
    assert ingest_into(store_app, write.folder).count("updated") == 1
    runner = store_app.test_cli_runner()
    assert runner.invoke(args=["withdraw", "a", "--reason", "Superseded."]).exit_code == 0
    assert rows(store_app)["a"].source_path.endswith("two.md")
    assert dates(store_app) == first


@pytest.mark.parametrize(
    "edit", [{"body": "# Executive summary\n\nStaff will transfer.\n"}, {"title": "A new title"}]
)
def test_editing_the_body_or_front_matter_moves_last_changed_only(store_app, write, edit):
    write("a.md")
    ingest_into(store_app, write.folder)
    first_published, last_changed = dates(store_app)
    write("a.md", **edit)
    assert ingest_into(store_app, write.folder).count("updated") == 1
    now = dates(store_app)
    assert now[0] == first_published and now[1] > last_changed


def test_withdraw_records_when_and_why_and_a_second_one_corrects_the_reason(store_app, write):
    write("a.md")
    ingest_into(store_app, write.folder)
    runner = store_app.test_cli_runner()
    before = utcnow()
    result = runner.invoke(args=["withdraw", "a", "--reason", "  Superseded by the 2015 plan.  "])
    assert (result.exit_code, result.output) == (0, "withdrew a\n")
    row = rows(store_app)["a"]
    assert (row.status, row.withdrawn_reason) == ("withdrawn", "Superseded by the 2015 plan.")
    assert before <= row.withdrawn_at <= utcnow()
    result = runner.invoke(args=["withdraw", "a", "--reason", "Published in error."])
    assert result.exit_code == 0 and "already withdrawn; its reason is updated" in result.output
    again = rows(store_app)["a"]
    assert (again.withdrawn_at, again.withdrawn_reason) == (row.withdrawn_at, "Published in error.")


def test_withdraw_needs_a_reason(runner, app, write):
    write("a.md")
    runner.invoke(args=["ingest", str(write.folder)])
    result = runner.invoke(args=["withdraw", "a"])
    assert result.exit_code == 2 and "Missing option '--reason'" in result.output
    result = runner.invoke(args=["withdraw", "a", "--reason", "  "])
    assert result.exit_code == 2 and "--reason" in result.output
    with pytest.raises(ValueError, match="needs a reason"), app.app_context():
        withdraw(
            "a",
            reason="",
            database=get_database(app),
            backend=backend_of(app),
            vocabularies=load_vocabularies(ROOT / "content" / "vocabularies.yml"),
            lock_path=app.config["INGEST_LOCK"],
        )
    assert rows(app)["a"].status == "published"
