"""`kb`: the Flask command group plus ingest, check, reindex, sync and withdraw (thin wrappers over
`ingest`), `export` (over `exports`), `db upgrade` (over `migrate`) and `users` (over `accounts`,
each change audited)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import accounts, audit, exports, migrate, publishing
from . import ingest as ingesting
from .catalogue import backend, vocabularies
from .db import get_database
from .models import LinkPurpose, Role, User, utcnow
from .providers import ProvidersFileError
from .vocab import VocabularyFileError


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """The Mutuals knowledge base: ingest advice, rebuild the index, run the site."""


def register_commands(app) -> None:
    """Commands live on the app too, so `flask --app knowledgebase ingest` works like `kb ingest`."""
    for command in (
        ingest_command,
        check_command,
        reindex_command,
        sync_command,
        withdraw_command,
        export_command,
        db_command,
        users_command,
    ):
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
    """What a check or an ingest did. Skipped files are listed but are not failures (exit 0);
    rejected files exit 1."""
    for outcome in report.skipped:
        click.echo(
            f"skipped {outcome.path}: edited on the web since this file was last ingested; "
            "the site's version is kept (use --force to overwrite it)",
            err=True,
        )
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
    except (
        ingesting.IngestBusy,
        migrate.SchemaNotCurrent,
        publishing.Refused,
        accounts.AccountError,
    ) as error:
        raise click.ClickException(str(error)) from error


def _vocabularies():
    try:
        return vocabularies()
    except ProvidersFileError as error:
        raise click.ClickException(f"cannot read the providers:\n{error}") from error
    except (OSError, VocabularyFileError) as error:
        raise click.ClickException(f"cannot read the vocabularies: {error}") from error


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--force",
    is_flag=True,
    help="Let files overwrite deliverables edited on the site since they were last ingested "
    "(the site's revisions stay in the history).",
)
@with_appcontext
def ingest_command(paths, force):
    """Validate and ingest Markdown deliverables (default: the content folder).

    A file whose deliverable was edited on the site since is skipped, and listed, unless --force.
    Exits 1 if any file was rejected (the valid ones are ingested); skipped files alone exit 0."""
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
            force=force,
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


@click.command("sync")
@with_appcontext
def sync_command():
    """Bring the search index up to date with the database: index what is behind, remove what is
    no longer published. Finishes a publish on the site whose index update did not complete."""
    started = time.perf_counter()
    with _explained():
        written = ingesting.sync(
            database=get_database(), backend=backend(), vocabularies=_vocabularies(), **_lock()
        )
    click.echo(f"search index: {written} written in {time.perf_counter() - started:.1f}s")


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


@click.command("export")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@with_appcontext
def export_command(folder):
    """Write the open-data archive of every published deliverable (CSV, JSON Lines, the Markdown
    sources, README, LICENCE, CITATION.cff) and its SHA-256 checksum into FOLDER (default
    KB_EXPORT_DIR, where the site serves it at /data). The old archive stays until the new one
    is complete."""
    started = time.perf_counter()
    folder = folder or current_app.config["EXPORT_DIR"]
    database = get_database()
    with _explained():
        database.require_current_schema()
    try:
        with database.session() as session:
            made = exports.write_archive(session, folder, _link(""), vocabularies=_vocabularies())
    except OSError as error:
        raise click.ClickException(f"cannot write the archive in {folder}: {error}") from error
    click.echo(
        f"wrote {made.path} ({made.count:,} deliverables, {made.size / 1_000_000:,.1f} MB) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    click.echo(f"sha256 {made.sha256}")


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


# Accounts ----------------------------------------------------------------------------------------

#: Where links point when `KB_PUBLIC_URL` is not set: `scripts/run-site`'s default address.
FALLBACK_PUBLIC_URL = "http://127.0.0.1:5000"


def _link(path: str) -> str:
    """An absolute URL on the site's public address, for links operators send to people."""
    if not current_app.config.get("PUBLIC_URL"):
        warned = click.get_current_context().meta
        if not warned.get("kb.public_url_warned"):
            warned["kb.public_url_warned"] = True
            click.echo(
                f"KB_PUBLIC_URL is not set: links below use {FALLBACK_PUBLIC_URL}; "
                "set KB_PUBLIC_URL to the site's public address",
                err=True,
            )
        return FALLBACK_PUBLIC_URL + path
    from .web.urls import public_url

    return public_url(path)


@contextmanager
def _accounts() -> Iterator[Session]:
    """A session for a command that changes accounts: committed when the command succeeds,
    rolled back (nothing changed) when it fails with a one-line error."""
    database = get_database()
    with _explained():
        database.require_current_schema()
        with database.session() as session:
            yield session


def _account(session: Session, email: str) -> User:
    user = accounts.find(session, email)
    if user is None or user.role == Role.SYSTEM:
        raise click.ClickException(
            f"no account has the email {accounts.normalise_email(email)} (`kb users list` lists them)"
        )
    return user


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _record(session: Session, action: str, user: User, detail: str | None = None) -> None:
    audit.record(session, action, actor=accounts.system_user(session), target=user.email, detail=detail)


def _two_factor_notice(user: User, when: str = "first") -> None:
    if user.role in accounts.TWO_FACTOR_ROLES and user.totp_secret is None:
        click.echo(
            f"As an {user.role}, {user.email} will set up two-factor sign-in with an authenticator "
            f"app at their {when} sign-in, at {_link('/sign-in')}."
        )


def _issue(session: Session, user: User, purpose: str) -> None:
    """Issue a set-password link and print it with when it stops working."""
    now = utcnow()
    token = accounts.issue_link(session, user, purpose, now=now)
    length = (
        f"{accounts.INVITE_DAYS} days" if purpose == LinkPurpose.INVITE else f"{accounts.RESET_HOURS} hours"
    )
    until = _when(accounts.link_expiry(purpose, now))
    click.echo(f"Send {user.email} this link; it works once, until {until} ({length}):")
    click.echo(f"  {_link('/set-password/' + token)}")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("--password-stdin: the first line of standard input is empty")
        return line
    click.echo(
        f"At least {accounts.MIN_PASSWORD_LENGTH} characters; three random words make a strong one.",
        err=True,
    )
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


_ROLE = click.Choice(Role.ASSIGNABLE)
_PROVIDER = click.option(
    "--provider",
    "providers",
    multiple=True,
    help="A provider (advising firm) the account belongs to; repeat for several. Advisors need one.",
)


@click.group("users")
def users_command():
    """Accounts: create, invite, reset passwords and two-factor sign-in, change roles, list.
    Every change is recorded in the audit log as the system account."""


@users_command.command("create")
@click.argument("email")
@click.option("--role", type=_ROLE, required=True, help="advisor, editor or admin.")
@click.option("--name", default="", help="The person's name, as the site shows it.")
@_PROVIDER
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@with_appcontext
def users_create_command(email, role, name, providers, password_stdin):
    """Create an account with a password (asked for twice, hidden). How the first admin is made."""
    providers = accounts.tidy_providers(providers, _vocabularies().providers.canonical)
    # Refuse a bad address, role or provider list before asking for a password: a trial run,
    # rolled back.
    database = get_database()
    with _explained(), database.sessions() as trial:
        database.require_current_schema()
        accounts.create_user(trial, email, role=role, name=name, providers=providers)
        trial.rollback()
    password = _new_password(password_stdin)
    with _accounts() as session:
        user = accounts.create_user(
            session, email, role=role, name=name, providers=providers, password=password
        )
        _record(session, "user_created", user, f"role {role}" + _provider_detail(user))
        click.echo(f"Created {user.email} ({role}{_provider_detail(user)}).")
        _two_factor_notice(user)


def _provider_detail(user: User) -> str:
    return f"; providers: {', '.join(user.providers)}" if user.providers else ""


@users_command.command("invite")
@click.argument("email")
@click.option("--role", type=_ROLE, required=True, help="advisor, editor or admin.")
@click.option("--name", default="", help="The person's name, as the site shows it.")
@_PROVIDER
@with_appcontext
def users_invite_command(email, role, name, providers):
    """Create an account without a password and print a one-time link to set one. For an account
    that has no password yet, issue a fresh invitation (earlier links stop working)."""
    providers = accounts.tidy_providers(providers, _vocabularies().providers.canonical)
    with _accounts() as session:
        user = accounts.find(session, email)
        if user is None:
            user = accounts.create_user(session, email, role=role, name=name, providers=providers)
            _record(session, "user_created", user, f"role {role}" + _provider_detail(user))
            click.echo(f"Created {user.email} ({role}{_provider_detail(user)}), without a password.")
        elif user.role == Role.SYSTEM or user.password_hash is not None:
            raise click.ClickException(
                f"{user.email} already has an account with a password; "
                "`kb users reset` sends a link to set a new one"
            )
        elif not user.active:
            raise click.ClickException(f"{user.email} is deactivated; `kb users reactivate` it first")
        elif user.role != role or (providers and set(providers) != set(user.providers)):
            raise click.ClickException(
                f"{user.email} was invited as {user.role}{_provider_detail(user)}; "
                "change that with `kb users role`, then invite again"
            )
        else:
            click.echo(
                f"{user.email} has not set a password yet: a fresh invitation "
                "(the earlier link stops working)."
            )
        _issue(session, user, LinkPurpose.INVITE)
        _record(session, "user_invited", user, f"link valid {accounts.INVITE_DAYS} days")
        _two_factor_notice(user)


@users_command.command("reset")
@click.argument("email")
@with_appcontext
def users_reset_command(email):
    """Print a one-time link to set a new password (for a forgotten one). The old password and
    the account's sessions keep working until the new password is set; that signs it out
    everywhere."""
    with _accounts() as session:
        user = _account(session, email)
        if not user.active:
            raise click.ClickException(f"{user.email} is deactivated; `kb users reactivate` it first")
        if user.password_hash is None:
            raise click.ClickException(
                f"{user.email} has not set a password yet; `kb users invite` issues a fresh invitation"
            )
        _issue(session, user, LinkPurpose.RESET)
        _record(session, "password_reset_issued", user, f"link valid {accounts.RESET_HOURS} hours")
        click.echo(
            "Any earlier link no longer works. Their current password and sessions keep working until "
            "they set the new password; then they are signed out everywhere. To sign them out now, "
            "`kb users deactivate` them."
        )


@users_command.command("role")
@click.argument("email")
@click.argument("role", type=_ROLE, metavar="ROLE")
@_PROVIDER
@with_appcontext
def users_role_command(email, role, providers):
    """Change an account's role (and, with --provider, replace its providers). Ends its sessions
    when the role changes."""
    with _accounts() as session:
        user = _account(session, email)
        before_role, before_providers = user.role, user.providers
        accounts.change_role(
            user,
            role,
            accounts.tidy_providers(providers, _vocabularies().providers.canonical) if providers else None,
        )
        providers_changed = set(user.providers) != set(before_providers)
        if user.role != before_role:
            _record(session, "role_changed", user, f"{before_role} to {user.role}")
        if providers_changed:
            _record(session, "providers_changed", user, ", ".join(user.providers) or "none")
        if user.role == before_role and not providers_changed:
            click.echo(f"{user.email} is already {role}{_provider_detail(user)}; nothing changed.")
            return
        click.echo(f"{user.email} is now {user.role}{_provider_detail(user)}.")
        if user.role != before_role:
            click.echo("Their sessions are ended: they sign in again.")
            _two_factor_notice(user, "next")


@users_command.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate_command(email):
    """Stop an account signing in, and end its sessions. Its history stays."""
    with _accounts() as session:
        user = _account(session, email)
        if not user.active:
            click.echo(f"{user.email} is already deactivated; nothing changed.")
            return
        accounts.deactivate(user)
        _record(session, "deactivated", user)
        click.echo(f"Deactivated {user.email}; their sessions are ended.")


@users_command.command("reactivate")
@click.argument("email")
@with_appcontext
def users_reactivate_command(email):
    """Let a deactivated account sign in again (sessions from before stay ended)."""
    with _accounts() as session:
        user = _account(session, email)
        if user.active:
            click.echo(f"{user.email} is already active; nothing changed.")
            return
        user.active = True
        accounts.end_sessions(user)
        _record(session, "reactivated", user)
        click.echo(f"Reactivated {user.email}; they sign in with their password.")


@users_command.command("reset-2fa")
@click.argument("email")
@with_appcontext
def users_reset_2fa_command(email):
    """Turn off an account's two-factor sign-in (a lost phone) and end its sessions; editors and
    admins set it up again at their next sign-in."""
    with _accounts() as session:
        user = _account(session, email)
        if user.totp_secret is None:
            click.echo(f"{user.email} has not set up two-factor sign-in; nothing changed.")
            return
        user.totp_secret = None
        user.totp_last_step = None
        accounts.end_sessions(user)
        _record(session, "two_factor_reset", user)
        click.echo(f"Two-factor sign-in is off for {user.email}; their sessions are ended.")
        _two_factor_notice(user, "next")


@users_command.command("list")
@with_appcontext
def users_list_command():
    """Every account: email, name, role, providers, two-factor, active, last sign-in."""
    with _accounts() as session:
        users = session.scalars(select(User).where(User.role != Role.SYSTEM).order_by(User.email)).all()
        if not users:
            click.echo("No accounts yet: `kb users create EMAIL --role admin` makes the first.")
            return
        header = ("email", "name", "role", "providers", "two-factor", "active", "last sign-in")
        rows = [
            (
                user.email,
                user.name or "-",
                user.role,
                ", ".join(user.providers) or "-",
                "yes" if user.totp_secret else "no",
                "yes" if user.active else "no",
                _when(user.last_signin_at) if user.password_hash else "never (invited)",
            )
            for user in users
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
