"""Downloads of the record: any search as CSV or JSON Lines, and the open-data archive of every
published deliverable (`kb export`). No Flask: the web views and the CLI are thin wrappers.

Rows are read a batch at a time (`BATCH_SIZE` slugs: one `IN` query for the columns and one for
each many-valued field, then forgotten), so memory stays flat however many rows a download has: the
search backend hands over slugs lazily and nothing here keeps a list of rows.

Columns and JSON keys come from the field registry (`fields.FIELDS`, in its order), then `url`
(absolute, on the public address), `first_published_at` and `last_changed_at`.

A many-valued field (sector, legal_form, provider, tags) is one CSV cell, its values joined with
"; ". A value that itself holds ";" or "\\" has each written with a backslash before it (`\\;`,
`\\\\`), so `split_many` gives the values back exactly (docs/contract.md §6).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import fields, licences
from .models import VALUE_ROWS, Deliverable, Status
from .search import SearchBackend, SearchRequest
from .tabular import csv_lines

#: Slugs per database query: large enough that 50,000 rows are 100 queries, small enough that a
#: batch of rows (with their many-valued fields) is a few hundred kilobytes.
BATCH_SIZE = 500
#: The columns of every CSV download, in order; the keys of every JSON Lines object.
COLUMNS: tuple[str, ...] = (*fields.KEYS, "url", "first_published_at", "last_changed_at")
#: The one-valued columns a row of a download reads (not the bodies or the rendered HTML); the
#: many-valued fields come from their own tables (`models.VALUE_ROWS`).
_SCALARS = (
    *(spec.name for spec in fields.FIELDS if not spec.many),
    "first_published_at",
    "last_changed_at",
)
ARCHIVE_NAME = "mutuals-knowledge-base.zip"
CHECKSUM_NAME = ARCHIVE_NAME + ".sha256"
MANIFEST_NAME = "mutuals-knowledge-base.json"
#: The Open Government Licence's SPDX identifier, for CITATION.cff.
OGL = licences.licence("OGL-3.0")


# --- many values in one cell -------------------------------------------------------------------


def escape_value(value: str) -> str:
    """One value of a many-valued cell: a backslash before each backslash and each semicolon."""
    return value.replace("\\", "\\\\").replace(";", "\\;")


def join_many(values: Iterable[str]) -> str:
    """A many-valued field as one CSV cell: escaped values joined with "; "."""
    return "; ".join(escape_value(value) for value in values)


def split_many(cell: str) -> list[str]:
    """The values of a many-valued cell, as `join_many` wrote them (the reader's side, for tests
    and for anyone scripting against the CSV)."""
    if not cell:
        return []
    values, current, position = [], [], 0
    while position < len(cell):
        character = cell[position]
        if character == "\\" and position + 1 < len(cell):
            current.append(cell[position + 1])
            position += 2
        elif character == ";":
            values.append("".join(current))
            current = []
            position += 2 if cell[position + 1 : position + 2] == " " else 1
        else:
            current.append(character)
            position += 1
    values.append("".join(current))
    return values


# --- rows --------------------------------------------------------------------------------------


def published_rows(
    session: Session, slugs: Iterable[str], batch_size: int = BATCH_SIZE, extra: tuple[str, ...] = ()
) -> Iterator[SimpleNamespace]:
    """The published deliverables with these slugs, in the slugs' order, read `batch_size` at a
    time; a slug the index still has but the record no longer publishes is left out. Each is a
    plain object with every registry field (and any `extra` columns, such as `markdown`).

    Plain rows from Core queries rather than ORM objects: the ORM's instances and their
    relationship collections cost three quarters of an export's time (measured at 5,000 rows)."""
    batch: list[str] = []
    for slug in slugs:
        batch.append(slug)
        if len(batch) >= batch_size:
            yield from _batch(session, batch, extra)
            batch = []
    if batch:
        yield from _batch(session, batch, extra)


def _batch(session: Session, slugs: list[str], extra: tuple[str, ...]) -> Iterator[SimpleNamespace]:
    table = Deliverable.__table__
    names = (*_SCALARS, *extra)
    by_id = {}
    query = select(table.c.id, *(table.c[name] for name in names)).where(
        table.c.slug.in_(slugs), table.c.status == Status.PUBLISHED
    )
    for values in session.execute(query):
        row = SimpleNamespace(**dict(zip(names, values[1:], strict=True)), **{key: [] for key in VALUE_ROWS})
        by_id[values[0]] = row
    if by_id:
        for key, (_attribute, row_class) in VALUE_ROWS.items():
            values_query = (
                select(row_class.deliverable_id, row_class.value)
                .where(row_class.deliverable_id.in_(list(by_id)))
                .order_by(row_class.deliverable_id, row_class.position)
            )
            for deliverable_id, value in session.execute(values_query):
                getattr(by_id[deliverable_id], key).append(value)
    by_slug = {row.slug: row for row in by_id.values()}
    for slug in slugs:
        row = by_slug.pop(slug, None)
        if row is not None:
            yield row


def _moment(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def deliverable_url(public_base: str, slug: str) -> str:
    return f"{public_base.rstrip('/')}/deliverables/{slug}"


def record(row, public_base: str) -> dict:
    """A deliverable as a JSON object: every field of the registry as the API gives it, then its
    absolute `url` and when it first appeared here and last changed (ISO 8601, UTC)."""
    answer = {spec.name: spec.json_value(getattr(row, spec.name)) for spec in fields.FIELDS}
    answer["url"] = deliverable_url(public_base, row.slug)
    answer["first_published_at"] = _moment(row.first_published_at)
    answer["last_changed_at"] = _moment(row.last_changed_at)
    return answer


def csv_row(row, public_base: str) -> list:
    """A deliverable as a CSV row in `COLUMNS` order (cells are neutralised by `csv_lines`)."""
    values = []
    for spec in fields.FIELDS:
        value = getattr(row, spec.name)
        if spec.many:
            value = join_many(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        values.append(value)
    return [
        *values,
        deliverable_url(public_base, row.slug),
        _moment(row.first_published_at),
        _moment(row.last_changed_at),
    ]


def csv_text(rows: Iterable, public_base: str) -> Iterator[str]:
    """The header, then one CSV line per deliverable."""
    return csv_lines(COLUMNS, (csv_row(row, public_base) for row in rows))


def jsonl_text(rows: Iterable, public_base: str) -> Iterator[str]:
    """One JSON object per line (UTF-8, not ASCII-escaped), one line per deliverable."""
    for row in rows:
        yield json.dumps(record(row, public_base), ensure_ascii=False) + "\n"


def search_csv(session: Session, backend: SearchBackend, request: SearchRequest, public_base: str):
    """Every match of a search, in its order, as CSV lines (its page and per_page ignored)."""
    return csv_text(published_rows(session, backend.slugs(request)), public_base)


def search_jsonl(session: Session, backend: SearchBackend, request: SearchRequest, public_base: str):
    """Every match of a search, in its order, as JSON Lines."""
    return jsonl_text(published_rows(session, backend.slugs(request)), public_base)


# --- the open-data archive ---------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """What `write_archive` made: where, when, how many deliverables, its SHA-256 and size."""

    path: Path
    made: dt.datetime
    count: int
    sha256: str
    size: int

    def manifest(self) -> dict:
        return {
            "file": self.path.name,
            "made": self.made.isoformat() + "Z",
            "deliverables": self.count,
            "sha256": self.sha256,
            "bytes": self.size,
        }


def _published_slugs(session: Session) -> Iterator[str]:
    """Every published slug in a stable order (read at once: 50,000 slugs are a few megabytes, and
    no cursor stays open while the rows are read in batches)."""
    query = select(Deliverable.slug).where(Deliverable.status == Status.PUBLISHED).order_by(Deliverable.slug)
    return iter(session.scalars(query).all())


def write_archive(
    session: Session,
    folder: str | Path,
    public_base: str,
    *,
    vocabularies=None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
) -> Archive:
    """Write the open-data archive of every published deliverable into `folder` (made if need
    be): `ARCHIVE_NAME`, its checksum (`CHECKSUM_NAME`, as `sha256sum` writes it) and a small
    `MANIFEST_NAME` for the site's /data page. With `vocabularies`, the archive also holds
    `vocabularies.csv`, so a spreadsheet can turn the slugs into labels.

    Each file is written to a temporary file in the same folder, flushed to disk and renamed over
    the old one, so anyone reading (the site serving it) sees the whole old archive or the whole
    new one, never a part. The checksum is replaced just after the archive: a client fetching
    both in that instant may see a mismatch and should fetch again."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = now()
    count = session.scalar(
        select(func.count()).select_from(Deliverable).where(Deliverable.status == Status.PUBLISHED)
    )
    stamp = made.timetuple()[:6]

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    digest = hashlib.sha256()
    with _replacing(folder / ARCHIVE_NAME, "wb") as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open(entry("deliverables.csv"), "w") as out:
                for line in csv_text(published_rows(session, _published_slugs(session)), public_base):
                    out.write(line.encode("utf-8"))
            with archive.open(entry("deliverables.jsonl"), "w") as out:
                for line in jsonl_text(published_rows(session, _published_slugs(session)), public_base):
                    out.write(line.encode("utf-8"))
            for row in _sources(session):
                archive.writestr(entry(f"sources/{row.slug}.md"), row.markdown.encode("utf-8"))
            if vocabularies is not None:
                with archive.open(entry("vocabularies.csv"), "w") as out:
                    for line in vocabulary_csv(vocabularies):
                        out.write(line.encode("utf-8"))
            archive.writestr(entry("README.md"), readme_text(made, count, public_base))
            archive.writestr(entry("LICENCE"), licence_text(public_base))
            archive.writestr(entry("CITATION.cff"), citation_cff(made, public_base))
        handle.flush()
        handle.seek(0)
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        size = handle.tell()
    result = Archive(folder / ARCHIVE_NAME, made, count, digest.hexdigest(), size)
    with _replacing(folder / CHECKSUM_NAME, "w") as handle:
        handle.write(f"{result.sha256}  {ARCHIVE_NAME}\n")
    with _replacing(folder / MANIFEST_NAME, "w") as handle:
        json.dump(result.manifest(), handle)
    return result


def _sources(session: Session) -> Iterator[SimpleNamespace]:
    return published_rows(session, _published_slugs(session), extra=("markdown",))


class _replacing:
    """A file opened in `path`'s folder under a temporary name; on success flushed, fsynced and
    renamed to `path` (and the folder fsynced), on failure removed, leaving `path` as it was."""

    def __init__(self, path: Path, mode: str):
        self.path = path
        self.mode = mode

    def __enter__(self):
        descriptor, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        self.temporary = Path(name)
        if "b" in self.mode:
            self.handle = os.fdopen(descriptor, "w+b")
        else:
            self.handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")
        return self.handle

    def __exit__(self, kind, error, traceback):
        try:
            if kind is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
            self.handle.close()
            if kind is None:
                os.chmod(self.temporary, 0o644)
                os.replace(self.temporary, self.path)
                _fsync_folder(self.path.parent)
        finally:
            if self.temporary.exists():
                self.temporary.unlink()
        return False


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_manifest(folder: str | Path) -> dict | None:
    """What the last `write_archive` in `folder` made, or None if none has been made."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (Path(folder) / ARCHIVE_NAME).is_file():
        return None
    return manifest


# --- the archive's own documents -------------------------------------------------------------


def _column_lines() -> list[str]:
    lines = []
    for spec in fields.FIELDS:
        how = 'several values joined with "; "' if spec.many else spec.kind.value
        lines.append(f"| `{spec.name}` | {spec.label} | {how} |")
    lines += [
        "| `url` | Address | the deliverable's page on the site |",
        "| `first_published_at` | First published | when it first appeared on the site (UTC, ISO 8601) |",
        "| `last_changed_at` | Last changed | when its text last changed (UTC, ISO 8601) |",
    ]
    return lines


VOCABULARY_COLUMNS = ("vocabulary", "slug", "label", "aliases", "description")


def vocabulary_csv(vocabularies) -> Iterator[str]:
    """Every value of every vocabulary, one per row: what the slugs in the deliverables' columns
    are called, and what they mean (aliases joined as many-valued cells are)."""
    return csv_lines(
        VOCABULARY_COLUMNS,
        (
            (vocabulary.name, term.slug, term.label, join_many(term.aliases), term.description)
            for vocabulary in vocabularies
            for term in vocabulary.terms
        ),
    )


def readme_text(made: dt.datetime, count: int, public_base: str) -> str:
    """The archive's README: what is in it, the columns, when it was made and how many."""
    when = made.strftime("%-d %B %Y at %H:%M UTC")
    columns = "\n".join(_column_lines())
    return f"""# Mutuals knowledge base: open data

Every published deliverable of the Mutuals knowledge base, the advice paid for by government to
help public service teams become mutuals, from {public_base}
Made on {when}: {count:,} deliverables.

## What is in this archive

- `deliverables.csv`: one row per deliverable, UTF-8 (no byte-order mark), with a header row.
- `deliverables.jsonl`: the same deliverables as JSON Lines, one JSON object per line, with the
  same keys as the CSV's columns (many-valued fields as lists, empty values as null).
- `sources/<slug>.md`: each deliverable's Markdown source, in the format advisors write
  (YAML front matter, then the text).
- `vocabularies.csv`: every value the vocabulary columns (sector, legal_form,
  deliverable_type, programme, region, stage) may hold: its slug, label, other names and what it
  means.
- `LICENCE`: the terms you may reuse all this under.
- `CITATION.cff`: how to cite the dataset, in the Citation File Format.

## The columns

| column | label | value |
|---|---|---|
{columns}

Vocabulary fields hold slugs (for example `community-interest-company`); `vocabularies.csv` gives
their labels and meanings, as does the site's glossary ({public_base.rstrip("/")}/glossary).

In the CSV, a field with several values is one cell, its values joined with "; ". Inside a value,
a semicolon is written `\\;` and a backslash `\\\\`: split on "; " where the semicolon has no
backslash before it, then remove the backslash from `\\;` and `\\\\`. A cell that would begin
with `=`, `+`, `-`, `@`, a tab or a carriage return begins with an apostrophe instead, so that
spreadsheets show it as text rather than run it as a formula; remove it before using the value.

## How to cite

Mutuals knowledge base ({made.year}) Mutuals knowledge base: open data, {made.date().isoformat()}.
Available at: {public_base.rstrip("/")}/data (Accessed: the date you downloaded it).

`CITATION.cff` has the same for reference managers.
"""


def licence_text(public_base: str) -> str:
    """The archive's LICENCE: the Open Government Licence by name and address, in our words."""
    return f"""Licence

This collection of metadata (deliverables.csv, deliverables.jsonl and the front matter of every
file in sources/) is published under the {OGL.name}:
{OGL.url}

You may copy, publish, distribute and adapt it, also commercially, as long as you acknowledge
where it came from, for example: "Contains public sector information from the Mutuals knowledge
base ({public_base}), licensed under the {OGL.name}."

Each deliverable's text (the body of its file in sources/) is published under the licence named
in its `licence` field, which is the {OGL.name} unless it says
otherwise. The licences' own texts, at the address above and on each deliverable's page, are
what bind; this note only points to them.
"""


def citation_cff(made: dt.datetime, public_base: str) -> str:
    """The archive's CITATION.cff (Citation File Format 1.2.0)."""
    base = public_base.rstrip("/")
    return f"""cff-version: 1.2.0
message: "If you use this dataset, please cite it as below."
type: dataset
title: "Mutuals knowledge base: open data"
authors:
  - name: "Mutuals knowledge base"
date-released: "{made.date().isoformat()}"
version: "{made.strftime("%Y-%m-%dT%H:%M:%SZ")}"
url: "{base}/data"
repository-artifact: "{base}/data/{ARCHIVE_NAME}"
license: OGL-UK-3.0
"""
