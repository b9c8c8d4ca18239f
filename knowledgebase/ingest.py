"""Ingest: validate deliverable files, store them in the database, bring the search index up to date.

The database is the record and the index is derived from it. Each row remembers the hash last
written to the index (`indexed_hash`), so whatever an interrupted ingest left behind, the next
ingest (or `reindex`) finishes. One ingest runs at a time: a second waits for the lock, then
fails with `IngestBusy` naming the lock. Nothing is written to a database that is not at the
latest schema revision: `SchemaNotCurrent` says to run `kb db upgrade`.

A row's `first_published_at` is set once, by its first ingest; `last_changed_at` moves only when
the advisor's text (front matter or body) changed, not when the file moved or was re-rendered.

Files and the site keep one record. Every change a file brings is a revision by the system
account, published at once (`kb ingest` is the operators' trusted path: no review). A withdrawn
or unpublished deliverable stays so. A file never overwrites what was edited on the site: if a
deliverable has a newer revision from the site than from its file, or an open draft, the file is
"skipped (edited on the web)" unless `force`. A file may take over the slug of a deliverable made
from another file only when that file no longer exists (it was moved or renamed), and never the
slug of one made on the site.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from . import accounts, audit, fields, personal_data
from .content import ContentError, ContentWarning, DeliverableData, ParseResult, content_hash, parse_file
from .db import Database
from .models import VALUE_ROWS, Deliverable, Revision, Status, utcnow
from .search import IndexDocument, SearchBackend
from .vocab import Vocabularies

BATCH_SIZE = 200
#: From this many changed files on, parsing runs in worker processes; below it, starting them
#: costs more than it saves.
PARALLEL_FROM = 200
#: Files in content folders that are not deliverables.
IGNORED_NAMES = {"readme.md"}


class IngestBusy(Exception):
    """Another ingest or reindex holds the lock."""


@dataclass
class FileOutcome:
    path: str
    action: str  # added, updated, unchanged, skipped, rejected, checked
    slug: str | None = None
    errors: list[ContentError] = field(default_factory=list)
    #: Likely personal data in a file that parsed (`check` only; `ingest` does not look).
    warnings: list[ContentWarning] = field(default_factory=list)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    indexed: int = 0

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def rejected(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "rejected"]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == SKIPPED]

    @property
    def ok(self) -> bool:
        """Nothing rejected (skipped files are not failures: the site's version is kept on purpose)."""
        return not self.rejected

    @property
    def warnings(self) -> list[ContentWarning]:
        return [warning for outcome in self.outcomes for warning in outcome.warnings]

    def summary(self) -> str:
        parts = [
            f"{self.count(action)} {action}"
            for action in ("added", "updated", "unchanged", SKIPPED, "checked")
            if self.count(action)
        ]
        parts.append(f"{len(self.rejected)} rejected")
        return ", ".join(parts)


#: A file left alone because its deliverable was edited on the site since (`force` overrides).
SKIPPED = "skipped (edited on the web)"


def find_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Markdown files named or found in folders (sorted), and outcomes for paths that do not exist."""
    found: list[Path] = []
    missing: list[FileOutcome] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*.md")
                    if p.name.lower() not in IGNORED_NAMES and not _hidden(p, path)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            missing.append(
                FileOutcome(
                    str(path),
                    "rejected",
                    errors=[
                        ContentError(
                            str(path), None, "does not exist: give a Markdown file or a folder of them"
                        )
                    ],
                )
            )
    return list(dict.fromkeys(found)), missing


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


#: Told each file as it is done, with how many files there are in all (for a progress bar).
Progress = Callable[[Path, int], None]


def check(paths, vocabularies: Vocabularies, progress: Progress | None = None) -> IngestReport:
    """Validate files without writing anything, and warn of likely personal data in the files that
    parse (`personal_data.scan` on the whole file, front matter included); warnings never reject."""
    files, missing = find_files(paths)
    report = IngestReport(outcomes=list(missing))
    seen: dict[str, str] = {}
    for path in files:
        result = parse_file(path, vocabularies)
        outcome = FileOutcome(str(path), "checked", errors=list(result.errors))
        if result.ok:
            outcome.slug = result.deliverable.slug
            _check_unique_in_run(result.deliverable, seen, outcome)
            outcome.warnings = personal_data_warnings(path)
        if outcome.errors:
            outcome.action = "rejected"
        report.outcomes.append(outcome)
        if progress:
            progress(path, len(files))
    return report


def personal_data_warnings(path: Path) -> list[ContentWarning]:
    """What `personal_data.scan` finds in a file, as warnings naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # parse_file has just read it; if it changed since, the next check will say
    return [
        ContentWarning(str(path), finding.line, finding.kind, finding.message)
        for finding in personal_data.scan(text)
    ]


def _check_unique_in_run(data: DeliverableData, seen: dict[str, str], outcome: FileOutcome) -> None:
    if data.slug in seen:
        outcome.errors.append(
            ContentError(
                outcome.path,
                "slug",
                f"{data.slug!r} is also the slug of {seen[data.slug]}; every deliverable needs its own slug",
            )
        )
    else:
        seen[data.slug] = outcome.path


@contextmanager
def exclusive(lock_path: str | Path, timeout: float):
    """Hold the ingest lock, waiting up to `timeout` seconds for another ingest to finish."""
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout as error:
        raise IngestBusy(
            f"another ingest or reindex is running (lock {lock_path} held for more "
            f"than {timeout:g}s); try again when it has finished"
        ) from error
    try:
        yield
    finally:
        lock.release()


def ingest(
    paths,
    *,
    database: Database,
    backend: SearchBackend,
    vocabularies: Vocabularies,
    lock_path: str | Path,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    force: bool = False,
) -> IngestReport:
    """Validate and store files, then bring the index up to date. Valid files go in even when
    others are rejected. `force`: files overwrite deliverables edited on the site since."""
    database.require_current_schema()
    files, missing = find_files(paths)
    report = IngestReport(outcomes=list(missing))
    with exclusive(lock_path, lock_timeout):
        with database.session() as session:
            rows = session.execute(
                select(Deliverable.source_path, Deliverable.slug, Deliverable.content_hash)
            ).all()
            known = {row.source_path: row for row in rows if row.source_path}
            by_slug = {row.slug: row for row in rows}
            edited = set() if force else edited_on_the_web(session)
        seen: dict[str, str] = {}
        changed: list[tuple[int, Path, bytes]] = []
        for path in files:
            outcome, raw = _read_one(path, known, seen, vocabularies)
            report.outcomes.append(outcome)
            if raw is not None:
                changed.append((len(report.outcomes) - 1, path, raw))
            elif progress:
                progress(path, len(files))
        pending: list[DeliverableData] = []
        results = _parse_all([(path, raw) for _, path, raw in changed], vocabularies)
        for (position, path, _), result in zip(changed, results, strict=False):
            report.outcomes[position] = _accept(path, result, by_slug, seen, pending, edited)
            if len(pending) >= BATCH_SIZE:
                _store(database, pending)
            if progress:
                progress(path, len(files))
        _store(database, pending)
        report.indexed = sync_index(database, backend, vocabularies)
    return report


def _read_one(path: Path, known, seen, vocabularies: Vocabularies) -> tuple[FileOutcome, bytes | None]:
    """The outcome for a file that is unreadable or unchanged, or its bytes to be parsed."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return FileOutcome(
            str(path), "rejected", errors=[ContentError(str(path), None, f"cannot be read: {error.strerror}")]
        ), None
    previous = known.get(str(path.resolve()))
    if previous is not None and previous.content_hash == content_hash(raw, vocabularies):
        seen.setdefault(previous.slug, str(path))
        return FileOutcome(str(path), "unchanged", slug=previous.slug), None
    return FileOutcome(str(path), "checked"), raw


def _parse_all(files: list[tuple[Path, bytes]], vocabularies: Vocabularies) -> Iterator[ParseResult]:
    """Parse files in order; many files are parsed in worker processes, one per core."""
    workers = min(os.cpu_count() or 1, 4)
    if len(files) < PARALLEL_FROM or workers < 2:
        return (parse_file(path, vocabularies, raw=raw) for path, raw in files)
    # Forked workers only parse: they never touch the database connections they inherit.
    # (Spawned ones would re-run the caller's __main__, which scripts rarely guard.)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_set_worker_vocabularies,
        initargs=(vocabularies,),
    )
    return _drain(pool, pool.map(_parse_in_worker, files, chunksize=16))


def _drain(pool: ProcessPoolExecutor, results) -> Iterator[ParseResult]:
    with pool:
        yield from results


_worker_vocabularies: Vocabularies | None = None


def _set_worker_vocabularies(vocabularies: Vocabularies) -> None:
    global _worker_vocabularies
    _worker_vocabularies = vocabularies


def _parse_in_worker(job: tuple[Path, bytes]) -> ParseResult:
    path, raw = job
    return parse_file(path, _worker_vocabularies, raw=raw)


def edited_on_the_web(session) -> set[str]:
    """Slugs of deliverables whose latest revision came from the site rather than a file, or that
    have an open draft: a file must not overwrite them."""
    later = aliased(Revision)
    last_file = (
        select(func.coalesce(func.max(Revision.number), 0))
        .where(Revision.deliverable_id == Deliverable.id, Revision.origin == "file")
        .scalar_subquery()
    )
    newer_on_site = exists().where(
        and_(later.deliverable_id == Deliverable.id, later.origin != "file", later.number > last_file)
    )
    return set(
        session.scalars(
            select(Deliverable.slug).where(or_(Deliverable.draft_state.is_not(None), newer_on_site))
        )
    )


def _accept(path: Path, result: ParseResult, by_slug, seen, pending, edited) -> FileOutcome:
    """Queue a parsed file for storing, unless it is invalid, its slug is another's, or its
    deliverable was edited on the site since."""
    source = str(path.resolve())
    outcome = FileOutcome(str(path), "rejected", errors=list(result.errors))
    if not result.ok:
        return outcome
    data = _with_source(result.deliverable, source)
    outcome.slug = data.slug
    _check_unique_in_run(data, seen, outcome)
    owner = by_slug.get(data.slug)
    if owner is not None and owner.source_path != source:
        if not owner.source_path:
            whose = "a deliverable made on the site"
        elif os.path.exists(owner.source_path):
            whose = owner.source_path
        else:
            whose = None  # its file was moved or renamed: this file takes over
        if whose:
            outcome.errors.append(
                ContentError(
                    str(path),
                    "slug",
                    f"{data.slug!r} is already the slug of {whose}; give this deliverable its own slug",
                )
            )
    if outcome.errors:
        return outcome
    if data.slug in edited:
        outcome.action = SKIPPED
        return outcome
    outcome.action = "updated" if owner is not None else "added"
    pending.append(data)
    return outcome


def _with_source(data: DeliverableData, source: str) -> DeliverableData:
    return replace(data, source_path=source)


def _store(database: Database, pending: list[DeliverableData]) -> None:
    """Write a batch of valid deliverables in one transaction, each change a published revision
    by the system account."""
    if not pending:
        return
    now = utcnow()
    with database.session() as session:
        system = accounts.system_user(session)
        existing = {
            row.slug: row
            for row in session.scalars(
                select(Deliverable).where(Deliverable.slug.in_([data.slug for data in pending]))
            )
        }
        latest = dict(
            session.execute(
                select(Revision.deliverable_id, func.max(Revision.number))
                .where(Revision.deliverable_id.in_([row.id for row in existing.values()]))
                .group_by(Revision.deliverable_id)
            ).all()
        )
        for data in pending:
            row = existing.get(data.slug)
            changed = row is None or row.markdown is None or not same_source(row.markdown, data.markdown)
            detail = "added from " if row is None else "updated from "
            if row is not None and row.draft_state is not None:
                detail = "a forced ingest closed the draft from the site; updated from "
            if row is None:
                row = Deliverable(slug=data.slug)
                session.add(row)
            apply(row, data)
            # A forced file closes any open draft from the site (its revisions stay in the history).
            row.draft_state = None
            if changed:
                session.flush()
                session.add(
                    Revision(
                        deliverable_id=row.id,
                        number=latest.get(row.id, 0) + 1,
                        markdown=data.markdown,
                        author_id=system.id,
                        origin="file",
                        created_at=now,
                        published_at=now,
                    )
                )
                audit.record(
                    session, "ingest", actor=system, target=row.slug, detail=detail + data.source_path
                )
    pending.clear()


def apply(row: Deliverable, data: DeliverableData) -> None:
    """Copy a parsed deliverable onto its database row, moving `last_changed_at` only if the
    advisor's text changed."""
    now = utcnow()
    if row.first_published_at is None:
        row.first_published_at = now
    if row.markdown is None or not same_source(row.markdown, data.markdown):
        row.last_changed_at = now
    # One-valued fields from the registry (many-valued ones go to their value rows below).
    for name in [spec.name for spec in fields.FIELDS if not spec.many and spec.name != "slug"] + [
        "markdown",
        "source_path",
        "content_hash",
    ]:
        setattr(row, name, getattr(data, name))
    row.body_html = data.body.html
    row.body_text = data.body.text
    row.toc = [
        {"level": entry.level, "anchor": entry.anchor, "title": entry.title} for entry in data.body.toc
    ]
    # A new deliverable is published; an existing one keeps its status (a withdrawn one stays
    # withdrawn when its file changes: republishing belongs to the publishing workflow).
    row.status = row.status or Status.PUBLISHED
    for key, (attribute, row_class) in VALUE_ROWS.items():
        # Reuse the rows of values that stay, so no value is deleted and re-inserted in one flush.
        current = {item.value: item for item in getattr(row, attribute)}
        kept = []
        for position, value in enumerate(getattr(data, key)):
            item = current.pop(value, None) or row_class(value=value)
            item.position = position
            kept.append(item)
        setattr(row, attribute, kept)


def same_source(stored: str, new: str) -> bool:
    """Whether two versions of a file say the same thing to readers: the same text, whatever
    the line endings (a checkout on Windows is no change)."""
    return stored.splitlines() == new.splitlines()


def index_document(row: Deliverable, vocabularies: Vocabularies) -> IndexDocument:
    """What the search engine is told about a stored deliverable."""
    labels = []
    for name in ("sector", "legal_form"):
        labels.extend(vocabularies[name].search_text(slug) for slug in getattr(row, name))
    for name in ("deliverable_type", "programme", "stage", "region"):
        slug = getattr(row, name)
        if slug:
            labels.append(vocabularies[name].search_text(slug))
    return IndexDocument(
        slug=row.slug,
        content_hash=row.content_hash,
        title=row.title,
        summary=row.summary,
        organisation=row.organisation,
        body=row.body_text,
        tags=tuple(row.tags),
        sector=tuple(row.sector),
        legal_form=tuple(row.legal_form),
        deliverable_type=row.deliverable_type,
        programme=row.programme,
        region=row.region,
        stage=row.stage,
        provider=tuple(row.provider),
        published=row.published,
        labels=" ".join(labels),
        added=row.first_published_at.replace(tzinfo=dt.UTC) if row.first_published_at else None,
    )


def sync_index(database: Database, backend: SearchBackend, vocabularies: Vocabularies) -> int:
    """Write to the index every row whose indexed hash is behind, and remove unpublished ones."""
    if backend.is_empty():
        return rebuild_index(database, backend, vocabularies)
    written = 0
    with database.session() as session:
        stale = session.scalars(
            select(Deliverable.id)
            .where(
                Deliverable.status == Status.PUBLISHED,
                or_(Deliverable.indexed_hash.is_(None), Deliverable.indexed_hash != Deliverable.content_hash),
            )
            .order_by(Deliverable.id)
        ).all()
        for ids in _chunks(stale, BATCH_SIZE * 5):
            rows = session.scalars(select(Deliverable).where(Deliverable.id.in_(ids))).all()
            written += backend.add(index_document(row, vocabularies) for row in rows)
            for row in rows:
                row.indexed_hash = row.content_hash
            session.commit()
        gone = session.scalars(
            select(Deliverable).where(
                Deliverable.status != Status.PUBLISHED, Deliverable.indexed_hash.is_not(None)
            )
        ).all()
        if gone:
            backend.delete(row.slug for row in gone)
            for row in gone:
                row.indexed_hash = None
    return written


def rebuild_index(database: Database, backend: SearchBackend, vocabularies: Vocabularies) -> int:
    """Rebuild the whole index from the database and swap it in."""
    with database.session() as session:
        published = select(Deliverable).where(Deliverable.status == Status.PUBLISHED).order_by(Deliverable.id)
        rows = session.scalars(published.execution_options(yield_per=BATCH_SIZE))
        written = backend.rebuild(index_document(row, vocabularies) for row in rows)
        session.execute(Deliverable.__table__.update().values(indexed_hash=None))
        session.execute(
            Deliverable.__table__.update()
            .where(Deliverable.status == Status.PUBLISHED)
            .values(indexed_hash=Deliverable.content_hash)
        )
    return written


def reindex(
    *,
    database: Database,
    backend: SearchBackend,
    vocabularies: Vocabularies,
    lock_path: str | Path,
    lock_timeout: float = 30.0,
) -> int:
    """`kb reindex`: rebuild the index from the database under the ingest lock."""
    database.require_current_schema()
    with exclusive(lock_path, lock_timeout):
        return rebuild_index(database, backend, vocabularies)


def sync(
    *,
    database: Database,
    backend: SearchBackend,
    vocabularies: Vocabularies,
    lock_path: str | Path,
    lock_timeout: float = 30.0,
) -> int:
    """`kb sync`, and what publishing on the site runs: bring the index up to date with the
    database (rows whose `indexed_hash` is behind, and ones no longer published) under the lock."""
    database.require_current_schema()
    with exclusive(lock_path, lock_timeout):
        return sync_index(database, backend, vocabularies)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Withdrawal:
    """What `withdraw` did."""

    WITHDRAWN = "withdrawn"
    #: It was withdrawn already: the reason is replaced, the date it was withdrawn stays.
    REASON_UPDATED = "reason updated"


def withdraw(
    slug: str,
    *,
    reason: str,
    database: Database,
    backend: SearchBackend,
    vocabularies: Vocabularies,
    lock_path: str | Path,
    lock_timeout: float = 30.0,
) -> str | None:
    """Withdraw a deliverable, GOV.UK's way: out of search, feeds and the sitemap, while its page
    stays with a notice; the record keeps when (`withdrawn_at`) and the public explanation why
    (`withdrawn_reason`).

    Returns a `Withdrawal` value, or None if no deliverable has the slug. Withdrawing one that is
    already withdrawn corrects its reason and keeps its date (unknown, for ones withdrawn before
    reasons were recorded)."""
    from . import publishing  # publishing builds on this module

    database.require_current_schema()
    with exclusive(lock_path, lock_timeout):
        with database.session() as session:
            row = session.scalar(select(Deliverable).where(Deliverable.slug == slug))
            if row is None:
                return None
            outcome = publishing.withdraw(session, accounts.system_user(session), row, reason)
        sync_index(database, backend, vocabularies)
    return outcome
