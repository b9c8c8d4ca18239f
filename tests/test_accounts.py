"""Accounts in the model layer: the password policy, hashing, throttling on a fake clock, TOTP,
set-password links and ending sessions everywhere."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from knowledgebase import accounts, audit
from knowledgebase.db import get_database
from knowledgebase.models import AuditEvent, LinkPurpose, Role

from .conftest import make_app

T0 = dt.datetime(2026, 11, 25, 9, 0, 0)
GOOD = "correct stapler orbit lantern"


@pytest.fixture
def db(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    database = get_database(app)
    yield database
    database.dispose()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1!", False),
        ("Password123!", False),  # a common word with digits and symbols stuck on
        ("qwertyuiop12", False),
        ("123456789012", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("abababababab", False),
        ("Mutuals!2026", False),  # the name of the service, and a season
        ("ada@example.org", False),
        ("ada.lovelace1", True),
        (GOOD, True),
        ("x" * 257, False),
    ],
)
def test_password_policy_is_length_and_a_deny_list_not_composition(password, ok):
    problems = accounts.password_problems(password, email="ada@example.org", name="Ada")
    assert (problems == []) is ok, problems


def test_the_email_or_name_as_password_is_refused():
    assert accounts.password_problems("adalovelace!", email="adalovelace@example.org")
    assert accounts.password_problems("AdaLovelace12", name="Ada Lovelace")


def test_passwords_are_stored_as_argon2id_hashes(db):
    with db.session() as session:
        user = accounts.create_user(session, " Ada@Example.ORG ", role=Role.EDITOR, password=GOOD)
        assert user.email == "ada@example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert GOOD not in user.password_hash


def test_accounts_refuse_bad_requests(db):
    with db.session() as session:
        accounts.create_user(session, "ada@example.org", role=Role.EDITOR)
        for kwargs, message in (
            ({"email": "not an address", "role": Role.EDITOR}, "not an email address"),
            ({"email": "ADA@example.org", "role": Role.EDITOR}, "already an account"),
            ({"email": "bo@example.org", "role": "system"}, "not a role"),
            ({"email": "bo@example.org", "role": Role.ADVISOR}, "at least one provider"),
            ({"email": "bo@example.org", "role": Role.EDITOR, "password": "password"}, "at least 12"),
        ):
            email = kwargs.pop("email")
            with pytest.raises(accounts.AccountError, match=message):
                accounts.create_user(session, email, **kwargs)


def test_wrong_passwords_throttle_the_account_until_the_lock_expires(db):
    with db.session() as session:
        accounts.create_user(
            session, "ada@example.org", role=Role.ADVISOR, providers=["Baxendale"], password=GOOD
        )
    clock = T0
    with db.session() as session:
        for attempt in range(accounts.MAX_FAILURES):
            outcome = accounts.check_password(session, "ada@example.org", "wrong password!", clock)
            assert not outcome.ok
            assert outcome.throttled is (attempt == accounts.MAX_FAILURES - 1)
            clock += dt.timedelta(seconds=10)
        # The right password is refused too while the account is throttled, without checking it.
        outcome = accounts.check_password(session, "ada@example.org", GOOD, clock)
        assert (outcome.ok, outcome.throttled, outcome.reason) == (False, True, "throttled")
    with db.session() as session:  # the count is in the database, for every process and server
        user = accounts.find(session, "ada@example.org")
        assert user.failed_signins == accounts.MAX_FAILURES
        later = user.last_failed_signin_at + dt.timedelta(minutes=accounts.LOCK_MINUTES)
        assert accounts.check_password(
            session, "ada@example.org", GOOD, later - dt.timedelta(seconds=1)
        ).throttled
        outcome = accounts.check_password(session, "ada@example.org", GOOD, later)
        assert outcome.ok
        accounts.signed_in(outcome.user, later)
        assert (user.failed_signins, user.last_signin_at) == (0, later)


def test_unknown_and_system_accounts_cannot_sign_in(db):
    with db.session() as session:
        assert accounts.check_password(session, "nobody@example.org", GOOD).reason == "no such account"
        system = accounts.system_user(session)
        assert accounts.check_password(session, system.email, GOOD).reason == "no such account"
        assert accounts.from_session_token(session, f"{system.id}:{system.session_version}") is None


def test_a_deactivated_account_cannot_sign_in_and_its_sessions_end(db):
    with db.session() as session:
        user = accounts.create_user(session, "ada@example.org", role=Role.EDITOR, password=GOOD)
        token = accounts.session_token(user)
        assert accounts.from_session_token(session, token) is user
        accounts.deactivate(user)
        assert accounts.from_session_token(session, token) is None
        assert accounts.check_password(session, "ada@example.org", GOOD).reason == "deactivated"


@pytest.mark.parametrize(
    "change",
    [
        lambda user: accounts.set_password(user, "a completely new passphrase"),
        lambda user: accounts.change_role(user, Role.ADMIN),
        accounts.deactivate,
    ],
    ids=["password reset", "role change", "deactivation"],
)
def test_sessions_end_everywhere_on_reset_role_change_or_deactivation(db, change):
    with db.session() as session:
        user = accounts.create_user(session, "ada@example.org", role=Role.EDITOR, password=GOOD)
        token = accounts.session_token(user)
        change(user)
        assert accounts.from_session_token(session, token) is None
        if user.active:
            assert accounts.from_session_token(session, accounts.session_token(user)) is user


def test_forged_session_tokens_name_nobody(db):
    with db.session() as session:
        user = accounts.create_user(session, "ada@example.org", role=Role.EDITOR, password=GOOD)
        for token in ("", "x", f"{user.id}", f"{user.id}:", f"{user.id}:99", "1:1 OR 1=1", f"-{user.id}:1"):
            assert accounts.from_session_token(session, token) is None


def test_totp_codes_work_once_and_only_near_their_time(db):
    with db.session() as session:
        user = accounts.create_user(session, "ada@example.org", role=Role.EDITOR, password=GOOD)
        secret = accounts.new_totp_secret()
        totp = pyotp.TOTP(secret)
        code = totp.at(T0)
        assert not accounts.enable_totp(user, secret, "000000" if code != "000000" else "111111", now=T0)
        assert accounts.enable_totp(user, secret, code, now=T0)
        assert user.totp_secret == secret
        assert not accounts.check_totp(user, code, now=T0)  # a code is accepted once
        later = T0 + dt.timedelta(seconds=30)
        assert accounts.check_totp(
            user, totp.at(later).replace("", " ").strip(), now=later
        )  # spaces are fine
        far = T0 + dt.timedelta(minutes=10)
        assert not accounts.check_totp(user, totp.at(T0 + dt.timedelta(minutes=5)), now=far)
        assert not accounts.check_totp(user, "12345", now=far)
        assert accounts.needs_two_factor(user)
        assert "otpauth://totp/" in accounts.totp_uri(user, secret)


def test_set_password_links_are_one_time_expiring_and_stored_hashed(db):
    with db.session() as session:
        user = accounts.create_user(session, "bo@example.org", role=Role.ADVISOR, providers=["Baxendale"])
        first = accounts.issue_link(session, user, LinkPurpose.INVITE, now=T0)
        second = accounts.issue_link(session, user, LinkPurpose.INVITE, now=T0)
        assert accounts.find_link(session, first, now=T0) is None  # a new link replaces the old
        link = accounts.find_link(session, second, now=T0)
        assert link is not None and second not in link.token_hash
        expiry = T0 + dt.timedelta(days=accounts.INVITE_DAYS)
        assert accounts.find_link(session, second, now=expiry) is None
        with pytest.raises(accounts.AccountError):
            accounts.use_link(link, "short", now=T0)
        version = user.session_version
        accounts.use_link(link, GOOD, now=T0)
        assert user.session_version == version + 1
        assert accounts.find_link(session, second, now=T0) is None
        assert accounts.check_password(session, "bo@example.org", GOOD, T0).ok
        reset = accounts.issue_link(session, user, LinkPurpose.RESET, now=T0)
        assert accounts.find_link(session, reset, now=T0 + dt.timedelta(hours=accounts.RESET_HOURS)) is None
        assert accounts.find_link(session, "not-a-token", now=T0) is None


def test_the_audit_log_is_append_only(db):
    with db.session() as session:
        audit.record(session, "sign_in_failed", target="ada@example.org", address="192.0.2.1")
    with db.session() as session:
        event = session.scalars(select(AuditEvent)).one()
        event.detail = "tampered"
        with pytest.raises(PermissionError, match="append-only"):
            session.flush()
        session.rollback()
        session.delete(session.scalars(select(AuditEvent)).one())
        with pytest.raises(PermissionError, match="append-only"):
            session.flush()
        session.rollback()
        with pytest.raises(ValueError, match="not an audited action"):
            audit.record(session, "made_up")
        assert session.scalars(select(AuditEvent.detail)).all() == [None]


def test_the_audit_csv_neutralises_formulas():
    event = AuditEvent(
        at=T0, actor='=HYPERLINK("http://x")', action="sign_in_failed", target="+1", detail="@x", address=None
    )
    lines = list(audit.csv_lines([event]))
    assert lines[0].strip() == ",".join(audit.CSV_COLUMNS)
    assert lines[1].startswith('2026-11-25T09:00:00,"\'=HYPERLINK(""http://x"")",sign_in_failed,\'+1,\'@x,')
