"""`kb`: the Flask command group plus ingest, check, reindex and withdraw (thin wrappers over
`ingest`) and `db upgrade` (over `migrate`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from . import ingest as ingesting
from . import migrate
from .catalogue import backend, vocabularies
from .db import get_database
from .vocab import VocabularyFileError


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """The Mutuals knowledge base: ingest advice, rebuild the index, run the site."""


def register_commands(app) -> None:
    """Commands live on the app too, so `flask --app knowledgebase ingest` works like `kb ingest`."""
    for command in (ingest_command, check_command, reindex_command, withdraw_command, db_command):
        app.cli.add_command(command)


def _paths(paths) -> list[str]:
    return list(paths) or [current_app.config["CONTENT_DIR"]]


@contextmanager
def _progress(label):
    """A progress bar on a terminal, sized when ingest reports its first file; nothing when the
    output is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    with ExitStack() as stack:
        bars = []

        def advance(_path, total):
            if not bars:
                bars.append(
                    stack.enter_context(click.progressbar(length=total, label=label, file=sys.stderr))
                )
            bars[0].update(1)

        yield advance


def _report(report, started: float) -> None:
    for outcome in report.rejected:
        click.echo(f"rejected {outcome.path}", err=True)
        for error in outcome.errors:
            click.echo(f"  {error}", err=True)
    warnings = report.warnings
    for warning in warnings:
        click.echo(f"warning {warning}", err=True)
    if warnings:
        count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        click.echo(f"{count}: likely personal data; check before publishing", err=True)
    click.echo(f"{report.summary()} in {time.perf_counter() - started:.1f}s")
    if not report.ok:
        click.echo(
            "Fix the files listed above and run the command again; the valid files were not affected.",
            err=True,
        )
        sys.exit(1)


def _lock() -> dict:
    """The ingest lock's settings, for every command that writes."""
    return {
        "lock_path": current_app.config["INGEST_LOCK"],
        "lock_timeout": float(current_app.config["INGEST_LOCK_TIMEOUT"]),
    }


@contextmanager
def _explained() -> Iterator[None]:
    """Turn the failures an operator can act on into one clear line and a non-zero exit."""
    try:
        yield
    except (ingesting.IngestBusy, migrate.SchemaNotCurrent) as error:
        raise click.ClickException(str(error)) from error


def _vocabularies():
    try:
        return vocabularies()
    except (OSError, VocabularyFileError) as error:
        raise click.ClickException(f"cannot read the vocabularies: {error}") from error


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@with_appcontext
def ingest_command(paths):
    """Validate and ingest Markdown deliverables (default: the content folder)."""
    started = time.perf_counter()
    paths = _paths(paths)
    vocabs = _vocabularies()
    with _explained(), _progress("Ingesting") as progress:
        report = ingesting.ingest(
            paths,
            database=get_database(),
            backend=backend(),
            vocabularies=vocabs,
            progress=progress,
            **_lock(),
        )
    if report.indexed:
        click.echo(f"search index: {report.indexed} written")
    _report(report, started)


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@with_appcontext
def check_command(paths):
    """Validate Markdown deliverables without writing anything."""
    started = time.perf_counter()
    paths = _paths(paths)
    with _progress("Checking") as progress:
        report = ingesting.check(paths, _vocabularies(), progress=progress)
    _report(report, started)


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index from the database."""
    started = time.perf_counter()
    with _explained():
        written = ingesting.reindex(
            database=get_database(), backend=backend(), vocabularies=_vocabularies(), **_lock()
        )
    click.echo(
        f"indexed {written} deliverables into {Path(current_app.config['INDEX_DIR'])} "
        f"in {time.perf_counter() - started:.1f}s"
    )


@click.command("withdraw")
@click.argument("slug")
@click.option(
    "--reason",
    required=True,
    help="Why it was withdrawn, in a sentence or two readers will see (GOV.UK's public explanation).",
)
@with_appcontext
def withdraw_command(slug, reason):
    """Withdraw a deliverable: out of search; its page stays, with a notice of the date and reason.
    Run again on a withdrawn one to correct its reason (the date stays)."""
    if not reason.strip():
        raise click.BadParameter("say why it is withdrawn; readers will see it", param_hint="--reason")
    with _explained():
        outcome = ingesting.withdraw(
            slug,
            reason=reason,
            database=get_database(),
            backend=backend(),
            vocabularies=_vocabularies(),
            **_lock(),
        )
    if outcome is None:
        raise click.ClickException(f"no deliverable has the slug {slug!r}")
    if outcome == ingesting.Withdrawal.REASON_UPDATED:
        click.echo(f"{slug} was already withdrawn; its reason is updated, its withdrawal date kept")
    else:
        click.echo(f"withdrew {slug}")


@click.group("db")
def db_command():
    """The database schema: `kb db upgrade` brings it to the latest revision."""


@db_command.command("upgrade")
@with_appcontext
def db_upgrade_command():
    """Create or migrate the database to the latest revision, keeping every row (also a
    database made before migrations)."""
    try:
        result = migrate.upgrade(current_app.config["DATABASE_URL"])
    except (migrate.SchemaNotCurrent, SQLAlchemyError) as error:
        raise click.ClickException(f"cannot upgrade the database: {error}") from error
    click.echo(result.summary())


@db_command.command("current")
@with_appcontext
def db_current_command():
    """Show the database's revision and whether it is the latest."""
    try:
        found = migrate.current(current_app.config["DATABASE_URL"])
    except SQLAlchemyError as error:
        raise click.ClickException(f"cannot read the database: {error}") from error
    latest = migrate.head()
    if found == latest:
        click.echo(f"{found} (the latest)")
    else:
        click.echo(f"{found or 'none'} (the latest is {latest}: run `kb db upgrade`)")


if __name__ == "__main__":
    main()
