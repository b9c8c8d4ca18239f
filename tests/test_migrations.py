"""Migrations: the schema they make is the models', a database made before migrations keeps every
row, and nothing writes to a database that `kb db upgrade` has not brought up to date."""

import datetime as dt
import logging
import shutil
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    select,
)

from knowledgebase import migrate
from knowledgebase.db import get_database
from knowledgebase.migrate import SchemaNotCurrent
from knowledgebase.models import Base, Deliverable

from .conftest import ROOT, backend_of, ingest_into, make_app


def _old_metadata(without: str | None = None) -> MetaData:
    """A frozen copy of the schema `models.py` had on main before migrations, which
    `db.init_app` made with `create_all()`: what operators' databases look like today
    (`without` one column of `deliverable`: an older one still)."""
    metadata = MetaData()
    columns = [
        Column("id", Integer, primary_key=True),
        Column("slug", String(200), unique=True, nullable=False),
        Column("title", String(200), nullable=False),
        Column("summary", String(600), nullable=False),
        Column("organisation", String(300), nullable=False),
        Column("deliverable_type", String(64), index=True, nullable=False),
        Column("programme", String(64), index=True),
        Column("stage", String(64), index=True),
        Column("region", String(64), index=True),
        Column("published", Date, index=True, nullable=False),
        Column("award_value", Integer),
        Column("licence", String(100), nullable=False),
        Column("markdown", Text, nullable=False),
        Column("body_html", Text, nullable=False),
        Column("body_text", Text, nullable=False),
        Column("toc", JSON, nullable=False),
        Column("source_path", String(1000), index=True, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("indexed_hash", String(64)),
        Column("status", String(20), index=True, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
    ]
    Table("deliverable", metadata, *(column for column in columns if column.name != without))
    for name, length in (("sector", 64), ("legal_form", 64), ("provider", 300), ("tag", 200)):
        Table(
            f"deliverable_{name}",
            metadata,
            Column("value", String(length), primary_key=True),
            Column("deliverable_id", ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True),
            Column("position", Integer, nullable=False),
            Index(f"ix_deliverable_{name}_value", "value"),
        )
    return metadata


OLD = _old_metadata()
TABLES = [table.name for table in OLD.sorted_tables]


def _differences(url: str, metadata: MetaData) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url):
    """Fails when models.py changed without a revision: add one (README, "Changing the schema")."""
    assert _differences(database_url, Base.metadata) == []
    assert migrate.current(database_url) == migrate.head()


def test_baseline_is_the_schema_create_all_made(empty_database_url):
    migrate.upgrade(empty_database_url, migrate.BASELINE)
    assert _differences(empty_database_url, OLD) == []


def _deliverable(number: int, **changes) -> dict:
    created = dt.datetime(2024, 1, number, 9, 30, 15, 123456)
    return {
        "slug": f"plan-{number}",
        "title": f"Business plan {number}",
        "summary": "Five-year business plan: “quoted”, £93,000.",
        "organisation": "Knowsley Youth Services",
        "deliverable_type": "business-plan",
        "programme": "mutuals-support-programme" if number == 1 else None,
        "stage": "exploring",
        "region": None,
        "published": dt.date(2013, 2, number),
        "award_value": 93000 if number == 1 else None,
        "licence": "OGL-3.0",
        "markdown": f"---\ntitle: Business plan {number}\n---\n# Plan\n\nText {number}.\n",
        "body_html": f"<h2>Plan</h2><p>Text {number}.</p>",
        "body_text": f"Plan Text {number}.",
        "toc": [{"level": 2, "anchor": "plan", "title": "Plan"}],
        "source_path": f"/content/plan-{number}.md",
        "content_hash": "c" * 64,
        "indexed_hash": "c" * 64,
        "status": "published",
        "created_at": created,
        "updated_at": created + dt.timedelta(days=30),
        **changes,
    }


def _snapshot(url: str, metadata: MetaData) -> dict[str, list[dict]]:
    """Every row of the baseline tables, as dictionaries of the columns `metadata` knows."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    dict(row._mapping)
                    for row in connection.execute(
                        select(*metadata.tables[name].c).order_by(*metadata.tables[name].primary_key)
                    )
                ]
                for name in (TABLES if metadata is OLD else metadata.tables)
            }
    finally:
        engine.dispose()


def test_database_made_before_migrations_keeps_every_row(empty_database_url, tmp_path, write):
    engine = create_engine(empty_database_url)
    OLD.create_all(engine)
    with engine.begin() as connection:
        # Inserted one by one without ids, so PostgreSQL's sequence moves as it did for real rows.
        ids = [
            connection.execute(OLD.tables["deliverable"].insert(), row).inserted_primary_key[0]
            for row in (_deliverable(1), _deliverable(2, status="withdrawn", indexed_hash=None))
        ]
        for name, values in (
            ("sector", ["youth-services", "libraries"]),
            ("legal_form", ["community-interest-company"]),
            ("provider", ["Mutual Ventures", "Bevan Brittan LLP"]),
            ("tag", ["tupe", "pensions", "youth work"]),
        ):
            connection.execute(
                OLD.tables[f"deliverable_{name}"].insert(),
                [
                    {"deliverable_id": number, "value": value, "position": position}
                    for number in ids
                    for position, value in enumerate(values)
                ],
            )
    engine.dispose()
    before = _snapshot(empty_database_url, OLD)

    result = migrate.upgrade(empty_database_url)

    assert (result.before, result.after, result.stamped) == (None, migrate.head(), True)
    assert "made before migrations" in result.summary()
    assert _snapshot(empty_database_url, OLD) == before
    assert len(before["deliverable_tag"]) == 6
    new = {row["id"]: row for row in _snapshot(empty_database_url, Base.metadata)["deliverable"]}
    for old in before["deliverable"]:
        row = new[old["id"]]
        assert row["first_published_at"] == old["created_at"]
        assert row["last_changed_at"] == old["updated_at"]
        assert (row["withdrawn_at"], row["withdrawn_reason"]) == (None, None)
    assert _differences(empty_database_url, Base.metadata) == []
    again = migrate.upgrade(empty_database_url)
    assert (again.stamped, again.summary()) == (
        False,
        f"the database is already at the latest revision, {migrate.head()}",
    )
    # Every old deliverable has its first revision: its source, by the system account, published
    # (0003); the system account cannot sign in.
    snapshot = _snapshot(empty_database_url, Base.metadata)
    (system,) = snapshot["user_account"]
    assert (system["role"], system["active"], system["password_hash"]) == ("system", False, None)
    revisions = {row["deliverable_id"]: row for row in snapshot["revision"]}
    for old in before["deliverable"]:
        revision = revisions[old["id"]]
        assert (revision["number"], revision["markdown"], revision["author_id"], revision["origin"]) == (
            1,
            old["markdown"],
            system["id"],
            "file",
        )
        assert revision["published_at"] == old["updated_at"]

    # The site works on it: ingest adds beside the old rows, and a row withdrawn before reasons
    # were recorded gets a reason but no invented date.
    app = make_app(tmp_path, empty_database_url)
    write("later.md")
    assert ingest_into(app, write.folder).count("added") == 1
    result = app.test_cli_runner().invoke(args=["withdraw", "plan-2", "--reason", "Out of date."])
    assert result.exit_code == 0, result.output
    with get_database(app).session() as session:
        row = session.scalar(select(Deliverable).where(Deliverable.slug == "plan-2"))
        assert (row.withdrawn_at, row.withdrawn_reason, row.sector) == (
            None,
            "Out of date.",
            ["youth-services", "libraries"],
        )
    backend_of(app).close()
    get_database(app).dispose()


def test_tables_older_than_the_baseline_are_refused_not_stamped(empty_database_url):
    old = _old_metadata(without="indexed_hash")
    engine = create_engine(empty_database_url)
    old.create_all(engine)
    engine.dispose()
    with pytest.raises(SchemaNotCurrent, match=r"lacks deliverable\.indexed_hash"):
        migrate.upgrade(empty_database_url)
    assert migrate.current(empty_database_url) is None


def test_site_starts_on_an_empty_database_and_commands_say_to_upgrade(tmp_path, write, caplog):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    runner = app.test_cli_runner()
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/api/deliverables/anything").status_code == 500
    assert "has no knowledge-base tables yet: run `kb db upgrade`" in caplog.text
    write("a.md")
    for args in (["ingest", str(write.folder)], ["reindex"], ["withdraw", "a", "--reason", "Why."]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "run `kb db upgrade` first" in result.output, (args, result.output)
    assert (
        f"none (the latest is {migrate.head()}: run `kb db upgrade`)"
        in runner.invoke(args=["db", "current"]).output
    )

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"upgraded an empty database to revision {migrate.head()}" in result.output
    assert runner.invoke(args=["db", "current"]).output == f"{migrate.head()} (the latest)\n"
    result = runner.invoke(args=["ingest", str(write.folder)])
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/deliverables/a").status_code == 200
    backend_of(app).close()
    get_database(app).dispose()


def test_run_site_upgrades_the_database_before_ingesting():
    script = (ROOT / "scripts" / "run-site").read_text()
    assert 0 < script.index(".venv/bin/kb db upgrade") < script.index(".venv/bin/kb ingest")


def test_a_new_revision_is_numbered_after_the_head(tmp_path, monkeypatch):
    """The developers' door (`python -m knowledgebase.migrate revision`), on a copy of the scripts."""
    shutil.copytree(migrate.MIGRATIONS, tmp_path / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path / "migrations")
    before = migrate.head()
    try:
        path = migrate.revision("add a probe")
    finally:
        migrate.head.cache_clear()  # the copy's head must not outlive this test
    text = path.read_text().replace("'", '"')
    after = f"{int(before) + 1:04d}"
    assert path.name == f"{after}_add_a_probe.py"
    assert f'revision = "{after}"' in text and f'down_revision = "{before}"' in text
    assert "op." not in text  # the models agree with the head: nothing to do


def test_upgrades_started_together_queue_and_both_succeed(empty_database_url):
    """Two hosts deploying at once: the second waits for the first, then finds nothing to do.
    (`migrate.upgrade` in two processes: what `kb db upgrade` runs, at half the start-up cost.)"""
    script = "import sys; from knowledgebase.migrate import upgrade; print(upgrade(sys.argv[1]).summary())"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = sorted(process.communicate(timeout=120)[0].strip() for process in processes)
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert outputs == [
        f"the database is already at the latest revision, {migrate.head()}",
        f"upgraded an empty database to revision {migrate.head()}",
    ]
