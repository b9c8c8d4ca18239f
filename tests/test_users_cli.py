"""Operators' commands: `kb users ...` over `accounts` (every change audited as the system
account), `kb ingest --force` and its skipped listing, and `kb sync`. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from knowledgebase import accounts, publishing
from knowledgebase.db import get_database
from knowledgebase.models import SYSTEM_EMAIL, AuditEvent, Deliverable, LinkPurpose, Role, User
from knowledgebase.vocab import load_vocabularies

from .conftest import VOCABULARIES, backend_of, make_app

PUBLIC = "https://kb.example.org"
GOOD = "correct horse battery staple"


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, database_url, PUBLIC_URL=PUBLIC)
    yield app
    backend_of(app).close()
    get_database(app).dispose()


@pytest.fixture
def kb(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def _user(app, email) -> User | None:
    with get_database(app).session() as session:
        return accounts.find(session, email)


def _events(app) -> list[tuple[str, str, str | None]]:
    with get_database(app).session() as session:
        return [
            (event.actor, event.action, event.target)
            for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def _token(output: str, purpose: str = "set-password") -> str:
    found = re.search(re.escape(PUBLIC) + rf"/{purpose}/(\S+)", output)
    assert found, output
    return found.group(1)


def _link(app, token):
    with get_database(app).session() as session:
        link = accounts.find_link(session, token)
        return (link.purpose, link.user.email) if link else None


def _create(kb, email="ann@kb.example", role="admin", *more, password=GOOD):
    result = kb("users", "create", email, "--role", role, *more, "--password-stdin", input=password + "\n")
    assert result.exit_code == 0, result.output
    return result


# kb users create ---------------------------------------------------------------------------------


def test_create_from_stdin_makes_a_signed_up_admin_told_about_two_factor(app, kb):
    result = _create(kb, "Ann@KB.example", "admin", "--name", "Ann Admin")
    assert "Created ann@kb.example (admin)" in result.stdout
    assert f"authenticator app at their first sign-in, at {PUBLIC}/sign-in" in result.stdout
    user = _user(app, "ann@kb.example")
    assert (user.role, user.name, user.active, user.totp_secret) == (Role.ADMIN, "Ann Admin", True, None)
    with get_database(app).session() as session:
        assert accounts.check_password(session, "ann@kb.example", GOOD).ok
    assert _events(app) == [(SYSTEM_EMAIL, "user_created", "ann@kb.example")]


def test_create_asks_for_the_password_twice_hidden(app, kb):
    result = kb("users", "create", "ed@kb.example", "--role", "editor", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # hidden
    assert "Repeat for confirmation" in result.output
    with get_database(app).session() as session:
        assert accounts.check_password(session, "ed@kb.example", GOOD).ok


def test_create_an_advisor_with_providers_is_not_told_about_two_factor(app, kb):
    result = _create(
        kb, "adv@mv.example", "advisor", "--provider", " Mutual  Ventures", "--provider", "Baxendale"
    )
    assert "two-factor" not in result.output
    assert _user(app, "adv@mv.example").providers == ["Baxendale", "Mutual Ventures"]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("--role", "editor"), "password123", "Password must be at least 12 characters"),
        (("--role", "editor"), "Password123456!", "too easy to guess"),
        (("--role", "advisor"), GOOD, "an advisor must belong to at least one provider"),
        (("--role", "editor"), "", "the first line of standard input is empty"),
    ],
)
def test_create_refuses_with_one_line_and_creates_nothing(app, kb, args, password, message):
    result = kb("users", "create", "x@kb.example", *args, "--password-stdin", input=password + "\n")
    assert result.exit_code == 1, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert _user(app, "x@kb.example") is None
    assert _events(app) == []


def test_create_refuses_a_bad_address_a_bad_role_and_a_second_account(app, kb):
    bad = kb("users", "create", "not-an-address", "--role", "admin", "--password-stdin", input=GOOD + "\n")
    assert bad.exit_code == 1 and "is not an email address" in bad.stderr
    role = kb("users", "create", "x@kb.example", "--role", "boss", "--password-stdin", input=GOOD + "\n")
    assert role.exit_code == 2 and "'boss' is not one of 'advisor', 'editor', 'admin'" in role.stderr
    _create(kb, "x@kb.example", "editor")
    again = kb("users", "create", "X@kb.example", "--role", "admin", input=f"{GOOD}\n{GOOD}\n")
    # Refused before the password is asked for.
    assert again.exit_code == 1 and "there is already an account for x@kb.example" in again.stderr
    assert "Password" not in again.output
    assert _user(app, "x@kb.example").role == Role.EDITOR


# kb users invite and reset -----------------------------------------------------------------------


def test_invite_prints_a_working_one_time_link_and_when_it_expires(app, kb):
    result = kb("users", "invite", "adv@mv.example", "--role", "advisor", "--provider", "Mutual Ventures")
    assert result.exit_code == 0, result.output
    assert f"({accounts.INVITE_DAYS} days)" in result.stdout and " UTC " in result.stdout
    token = _token(result.stdout)
    assert _link(app, token) == (LinkPurpose.INVITE, "adv@mv.example")
    user = _user(app, "adv@mv.example")
    assert (user.password_hash, user.providers) == (None, ["Mutual Ventures"])
    assert [action for _, action, _ in _events(app)] == ["user_created", "user_invited"]
    assert token not in str(_events(app))

    with get_database(app).session() as session:
        accounts.use_link(accounts.find_link(session, token), GOOD)
    assert _link(app, token) is None
    with get_database(app).session() as session:
        assert accounts.check_password(session, "adv@mv.example", GOOD).ok


def test_inviting_again_before_a_password_is_set_issues_a_fresh_link(app, kb):
    first = _token(kb("users", "invite", "ed@kb.example", "--role", "editor").stdout)
    again = kb("users", "invite", "ed@kb.example", "--role", "editor")
    assert again.exit_code == 0, again.output
    assert "fresh invitation" in again.stdout and "two-factor" in again.stdout
    assert _link(app, first) is None
    assert _link(app, _token(again.stdout)) == (LinkPurpose.INVITE, "ed@kb.example")
    assert [action for _, action, _ in _events(app)] == ["user_created", "user_invited", "user_invited"]

    other_role = kb("users", "invite", "ed@kb.example", "--role", "admin")
    assert other_role.exit_code == 1 and "kb users role" in other_role.stderr


def test_invite_refuses_an_account_with_a_password_and_an_advisor_without_provider(app, kb):
    _create(kb, "ann@kb.example")
    taken = kb("users", "invite", "ann@kb.example", "--role", "admin")
    assert taken.exit_code == 1 and "kb users reset" in taken.stderr
    lonely = kb("users", "invite", "adv@mv.example", "--role", "advisor")
    assert lonely.exit_code == 1 and "at least one provider" in lonely.stderr
    assert _user(app, "adv@mv.example") is None


def test_without_a_public_url_links_fall_back_and_say_so(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    try:
        result = app.test_cli_runner().invoke(args=["users", "invite", "ed@kb.example", "--role", "editor"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:5000/set-password/" in result.stdout
        assert result.stderr.count("KB_PUBLIC_URL is not set") == 1
    finally:
        backend_of(app).close()
        get_database(app).dispose()


def test_reset_prints_a_link_and_keeps_sessions_until_the_password_is_set(app, kb):
    _create(kb, "ann@kb.example")
    version = _user(app, "ann@kb.example").session_version
    result = kb("users", "reset", "ANN@kb.example")
    assert result.exit_code == 0, result.output
    assert f"({accounts.RESET_HOURS} hours)" in result.stdout
    assert "sessions keep working until they set the new password" in result.stdout
    token = _token(result.stdout)
    assert _link(app, token) == (LinkPurpose.RESET, "ann@kb.example")
    assert _user(app, "ann@kb.example").session_version == version
    assert _events(app)[-1] == (SYSTEM_EMAIL, "password_reset_issued", "ann@kb.example")

    with get_database(app).session() as session:
        accounts.use_link(accounts.find_link(session, token), "another long pass phrase")
    assert _user(app, "ann@kb.example").session_version == version + 1


def test_reset_refuses_unknown_invited_and_deactivated_accounts(app, kb):
    assert "no account has the email nobody@kb.example" in kb("users", "reset", "nobody@kb.example").stderr
    assert kb("users", "reset", SYSTEM_EMAIL).exit_code == 1
    kb("users", "invite", "ed@kb.example", "--role", "editor")
    assert "kb users invite" in kb("users", "reset", "ed@kb.example").stderr
    _create(kb, "ann@kb.example")
    kb("users", "deactivate", "ann@kb.example")
    refused = kb("users", "reset", "ann@kb.example")
    assert refused.exit_code == 1 and "deactivated" in refused.stderr


# kb users role, deactivate, reactivate, reset-2fa, list ------------------------------------------


def test_role_changes_role_and_providers_and_ends_sessions(app, kb):
    _create(kb, "adv@mv.example", "advisor", "--provider", "Mutual Ventures")
    version = _user(app, "adv@mv.example").session_version
    result = kb("users", "role", "adv@mv.example", "editor")
    assert result.exit_code == 0, result.output
    assert "now editor" in result.stdout and "two-factor" in result.stdout
    user = _user(app, "adv@mv.example")
    assert (user.role, user.session_version) == (Role.EDITOR, version + 1)

    result = kb("users", "role", "adv@mv.example", "advisor", "--provider", "Baxendale")
    assert result.exit_code == 0, result.output
    assert _user(app, "adv@mv.example").providers == ["Baxendale"]
    assert [action for _, action, _ in _events(app)] == [
        "user_created",
        "role_changed",
        "role_changed",
        "providers_changed",
    ]
    same = kb("users", "role", "adv@mv.example", "advisor")
    assert same.exit_code == 0 and "nothing changed" in same.stdout
    assert len(_events(app)) == 4


def test_role_refuses_bad_roles_unknown_emails_and_advisors_without_providers(app, kb):
    _create(kb, "ed@kb.example", "editor")
    bad = kb("users", "role", "ed@kb.example", "system")
    assert bad.exit_code == 2 and "is not one of" in bad.stderr
    unknown = kb("users", "role", "nobody@kb.example", "admin")
    assert unknown.exit_code == 1 and "no account has the email" in unknown.stderr
    lonely = kb("users", "role", "ed@kb.example", "advisor")
    assert lonely.exit_code == 1 and "at least one provider" in lonely.stderr
    assert _user(app, "ed@kb.example").role == Role.EDITOR
    assert [action for _, action, _ in _events(app)] == ["user_created"]


def test_deactivate_and_reactivate_end_sessions_and_are_audited(app, kb):
    _create(kb, "ann@kb.example")
    version = _user(app, "ann@kb.example").session_version
    assert kb("users", "deactivate", "ann@kb.example").exit_code == 0
    user = _user(app, "ann@kb.example")
    assert (user.active, user.session_version) == (False, version + 1)
    with get_database(app).session() as session:
        assert not accounts.check_password(session, "ann@kb.example", GOOD).ok
    assert "already deactivated" in kb("users", "deactivate", "ann@kb.example").stdout

    assert kb("users", "reactivate", "ann@kb.example").exit_code == 0
    user = _user(app, "ann@kb.example")
    assert (user.active, user.session_version) == (True, version + 2)
    assert "already active" in kb("users", "reactivate", "ann@kb.example").stdout
    assert [action for _, action, _ in _events(app)] == ["user_created", "deactivated", "reactivated"]
    assert kb("users", "deactivate", "nobody@kb.example").exit_code == 1
    assert kb("users", "reactivate", "nobody@kb.example").exit_code == 1


def test_reset_2fa_clears_the_secret_and_ends_sessions(app, kb):
    _create(kb, "ed@kb.example", "editor")
    with get_database(app).session() as session:
        user = accounts.find(session, "ed@kb.example")
        user.totp_secret, user.totp_last_step = accounts.new_totp_secret(), 123
        version = user.session_version
    result = kb("users", "reset-2fa", "ed@kb.example")
    assert result.exit_code == 0, result.output
    assert "next sign-in" in result.stdout
    user = _user(app, "ed@kb.example")
    assert (user.totp_secret, user.totp_last_step, user.session_version) == (None, None, version + 1)
    assert _events(app)[-1] == (SYSTEM_EMAIL, "two_factor_reset", "ed@kb.example")
    assert "nothing changed" in kb("users", "reset-2fa", "ed@kb.example").stdout
    assert kb("users", "reset-2fa", "nobody@kb.example").exit_code == 1


def test_list_shows_every_account_but_the_system_one(app, kb):
    empty = kb("users", "list")
    assert empty.exit_code == 0 and "kb users create EMAIL --role admin" in empty.stdout
    _create(kb, "ann@kb.example", "admin", "--name", "Ann Admin")
    kb("users", "invite", "adv@mv.example", "--role", "advisor", "--provider", "Mutual Ventures")
    kb("users", "deactivate", "adv@mv.example")
    with get_database(app).session() as session:
        user = accounts.find(session, "ann@kb.example")
        user.totp_secret = accounts.new_totp_secret()
        accounts.signed_in(user)
    lines = kb("users", "list").stdout.splitlines()
    assert lines[0].split() == [
        "email",
        "name",
        "role",
        "providers",
        "two-factor",
        "active",
        "last",
        "sign-in",
    ]
    assert lines[1].split()[:7] == ["adv@mv.example", "-", "advisor", "Mutual", "Ventures", "no", "no"]
    assert lines[1].endswith("never (invited)")
    assert lines[2].split()[:7] == ["ann@kb.example", "Ann", "Admin", "admin", "-", "yes", "yes"]
    assert lines[2].endswith(" UTC")
    assert len(lines) == 3 and SYSTEM_EMAIL not in "\n".join(lines)


# kb ingest --force, kb sync ----------------------------------------------------------------------


def _edited_on_the_web(app, kb, write):
    """A file ingested, its deliverable then edited on the site, then the file edited too."""
    path = write("plan.md", slug="youth-plan")
    assert kb("ingest", str(write.folder)).exit_code == 0
    _create(kb, "ed@kb.example", "editor")
    vocabs = load_vocabularies(VOCABULARIES)
    with get_database(app).session() as session:
        row = session.scalar(select(Deliverable).where(Deliverable.slug == "youth-plan"))
        text = publishing.latest_revision(session, row).markdown + "\nEdited on the site.\n"
        editor = accounts.find(session, "ed@kb.example")
        publishing.save(session, editor, text, vocabularies=vocabs, row=row, based_on=1)
    path.write_text(path.read_text() + "\nEdited in the file.\n")
    return path


def test_ingest_lists_skipped_files_and_exits_zero_then_force_overwrites(app, kb, write):
    path = _edited_on_the_web(app, kb, write)
    result = kb("ingest", str(write.folder))
    assert result.exit_code == 0, result.output
    assert (
        f"skipped {path}: edited on the web since this file was last ingested; "
        "the site's version is kept (use --force to overwrite it)"
    ) in result.stderr
    assert "1 skipped (edited on the web), 0 rejected" in result.stdout

    forced = kb("ingest", "--force", str(write.folder))
    assert forced.exit_code == 0, forced.output
    assert "1 updated, 0 rejected" in forced.stdout and "skipped" not in forced.output
    with get_database(app).session() as session:
        row = session.scalar(select(Deliverable).where(Deliverable.slug == "youth-plan"))
        assert "Edited in the file." in row.markdown


def test_ingest_with_skipped_and_rejected_files_exits_one(app, kb, write):
    _edited_on_the_web(app, kb, write)
    write("bad.md", legal_form=["limited liability partnership"])
    result = kb("ingest", str(write.folder))
    assert result.exit_code == 1
    assert "skipped " in result.stderr and "rejected " in result.stderr


def test_sync_writes_the_index_entries_that_are_behind(app, kb, write):
    write("a.md")
    write("b.md")
    assert kb("ingest", str(write.folder)).exit_code == 0
    assert "search index: 0 written" in kb("sync").stdout
    with get_database(app).session() as session:
        session.execute(update(Deliverable).where(Deliverable.slug == "a").values(indexed_hash=None))
    result = kb("sync")
    assert result.exit_code == 0, result.output
    assert "search index: 1 written" in result.stdout
