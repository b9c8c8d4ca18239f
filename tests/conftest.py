"""Shared fixtures: a temporary database and index per test, and helpers to write deliverables.

Databases are made by the migrations, as operators make theirs (`kb db upgrade`). SQLite ones are
copies of one file migrated once per session; PostgreSQL ones are migrated in their own schema.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from knowledgebase import create_app
from knowledgebase.catalogue import backend
from knowledgebase.db import get_database
from knowledgebase.ingest import ingest
from knowledgebase.migrate import upgrade
from knowledgebase.vocab import load_vocabularies

ROOT = Path(__file__).resolve().parent.parent
VOCABULARIES = ROOT / "content" / "vocabularies.yml"
SAMPLE_CONTENT = ROOT / "content" / "deliverables"

BASE_META = {
    "title": "Business plan for a staff-led youth services mutual",
    "summary": "Five-year business plan for spinning a youth service out of the council.",
    "organisation": "Knowsley Youth Services",
    "sector": ["youth-services"],
    "legal_form": ["community-interest-company"],
    "deliverable_type": "business-plan",
    "provider": ["Mutual Ventures"],
    "programme": "mutuals-support-programme",
    "stage": "exploring",
    "region": "north-west",
    "published": "2013-02-15",
    "award_value": 93000,
    "tags": ["youth work"],
}
BASE_BODY = "# Executive summary\n\nStaff will transfer under TUPE and keep their pensions.\n"


def deliverable_text(body: str = BASE_BODY, drop=(), **changes) -> str:
    """A deliverable file's text: the base metadata with some keys changed or dropped."""
    meta = {**BASE_META, **changes}
    for key in drop:
        meta.pop(key, None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}"


@pytest.fixture
def write(tmp_path):
    """write(name, body=..., **metadata) -> Path of a new deliverable file in a temp content folder."""
    folder = tmp_path / "content"
    folder.mkdir(exist_ok=True)

    def _write(name: str, body: str = BASE_BODY, drop=(), raw: str | bytes | None = None, **changes) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(raw, bytes):
            path.write_bytes(raw)
        else:
            path.write_text(
                raw if raw is not None else deliverable_text(body, drop, **changes), encoding="utf-8"
            )
        return path

    _write.folder = folder
    return _write


@pytest.fixture(scope="session")
def vocabularies():
    return load_vocabularies(VOCABULARIES)


_template: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def migrated_sqlite_template(tmp_path_factory):
    """One SQLite database migrated to the latest revision, copied for each test that needs one:
    running the migrations per test would cost about 0.1 s each."""
    path = tmp_path_factory.mktemp("template") / "kb.sqlite3"
    upgrade(f"sqlite:///{path}")
    _template["sqlite"] = path
    return path


def sqlite_at_head(path: Path) -> str:
    """The URL of a SQLite database at `path` at the latest revision (a copy of the session's
    template), unless a database is there already."""
    if not path.exists():
        shutil.copyfile(_template["sqlite"], path)
    return f"sqlite:///{path}"


def _postgres_url() -> str | None:
    return os.environ.get("KB_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A fresh, empty database: SQLite in a temp file, and PostgreSQL in a schema of its own
    when KB_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.sqlite3'}"
        return
    url = _postgres_url()
    if not url:
        pytest.skip(
            "PostgreSQL tests need KB_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test); "
            ".ci/run sets it"
        )
    schema = "kb_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL at KB_TEST_DATABASE_URL is not reachable: {error}")
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def database_url(empty_database_url, tmp_path):
    """A fresh database at the latest revision, on SQLite and (when configured) PostgreSQL."""
    if empty_database_url.startswith("sqlite"):
        return sqlite_at_head(tmp_path / "kb.sqlite3")
    upgrade(empty_database_url)
    return empty_database_url


def make_app(tmp_path, database_url=None, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url or sqlite_at_head(tmp_path / "kb.sqlite3"),
            "INDEX_DIR": str(tmp_path / "index"),
            "CONTENT_DIR": str(tmp_path / "content"),
            "VOCABULARIES": str(VOCABULARIES),
            "INGEST_LOCK": str(tmp_path / "ingest.lock"),
            "INGEST_LOCK_TIMEOUT": 5,
            "EXPORT_DIR": str(tmp_path / "exports"),
            **config,
        }
    )


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    backend_of(app).close()
    get_database(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def backend_of(app):
    with app.app_context():
        return backend()


def ingest_into(app, *paths):
    """Ingest files or folders into an app's database and index; returns the report."""
    with app.app_context():
        return ingest(
            paths,
            database=get_database(),
            backend=backend(),
            vocabularies=load_vocabularies(VOCABULARIES),
            lock_path=app.config["INGEST_LOCK"],
            lock_timeout=5,
        )


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory):
    """The real sample content, ingested once for the read-only tests of the whole session."""
    tmp_path = tmp_path_factory.mktemp("sample")
    app = make_app(tmp_path)
    report = ingest_into(app, SAMPLE_CONTENT)
    assert report.ok, [str(error) for outcome in report.rejected for error in outcome.errors]
    yield app
    backend_of(app).close()
    get_database(app).dispose()


@pytest.fixture
def sample_client(sample_app):
    return sample_app.test_client()
