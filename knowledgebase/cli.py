"""`kb`: the Flask command group plus ingest, check, reindex and withdraw (thin wrappers over `ingest`)."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import ingest as ingesting
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
    for command in (ingest_command, check_command, reindex_command, withdraw_command):
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
    try:
        with _progress("Ingesting") as progress:
            report = ingesting.ingest(
                paths,
                database=get_database(),
                backend=backend(),
                vocabularies=vocabs,
                progress=progress,
                **_lock(),
            )
    except ingesting.IngestBusy as error:
        raise click.ClickException(str(error)) from error
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
    try:
        written = ingesting.reindex(
            database=get_database(), backend=backend(), vocabularies=_vocabularies(), **_lock()
        )
    except ingesting.IngestBusy as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"indexed {written} deliverables into {Path(current_app.config['INDEX_DIR'])} "
        f"in {time.perf_counter() - started:.1f}s"
    )


@click.command("withdraw")
@click.argument("slug")
@with_appcontext
def withdraw_command(slug):
    """Withdraw a deliverable: out of search, and its page answers 410 Gone."""
    try:
        found = ingesting.withdraw(
            slug, database=get_database(), backend=backend(), vocabularies=_vocabularies(), **_lock()
        )
    except ingesting.IngestBusy as error:
        raise click.ClickException(str(error)) from error
    if not found:
        raise click.ClickException(f"no deliverable has the slug {slug!r}")
    click.echo(f"withdrew {slug}")


if __name__ == "__main__":
    main()
