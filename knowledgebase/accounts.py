"""Accounts: creating them, passwords, two-factor codes, sign-in throttling and set-password links.

Plain functions over a SQLAlchemy session and a `User`, with no Flask in them: the sign-in pages
(`web/account.py`) and `kb users` (`cli.py`) are thin wrappers. Times come in as `now` so tests
use a fake clock; callers commit.

- Passwords are hashed with argon2id (argon2-cffi's defaults, memory-hard). The policy is the
  NCSC's: long enough, not a common or guessable one, and no composition rules.
- Editors and admins must sign in with a TOTP code as well (RFC 6238, 30-second steps); a code
  is accepted once.
- After `MAX_FAILURES` wrong passwords in a row, the account refuses sign-in, even with the right
  password, until `LOCK_MINUTES` after the last failure. The count lives in the database, so it
  holds across processes and servers; the per-address limit is the web layer's (Flask-Limiter).
- Raising `session_version` ends the account's sessions everywhere: a new password, a new role
  or deactivation does it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import SYSTEM_EMAIL, LinkPurpose, Role, SetPasswordLink, User, UserProvider, utcnow

MIN_PASSWORD_LENGTH = 12
#: The longest name and provider name an account may have (the columns' sizes).
MAX_NAME_LENGTH = 200
MAX_PROVIDER_LENGTH = 300
MAX_PASSWORD_LENGTH = 256
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: How long a set-password link works.
INVITE_DAYS = 7
RESET_HOURS = 24
#: Roles that must use a second factor.
TWO_FACTOR_ROLES = (Role.EDITOR, Role.ADMIN)
TOTP_ISSUER = "Mutuals knowledge base"

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
#: A hash of nothing anybody knows, checked when the email matches no account, so a wrong
#: address takes as long to refuse as a wrong password.
_DECOY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why, for a person."""


@dataclass(frozen=True)
class SignIn:
    """What a password check concluded. `user` is set only when `ok`."""

    ok: bool
    user: User | None = None
    #: Why not, for the audit log (never shown to the person: they see one message for all).
    reason: str = ""
    #: The account is refusing sign-in for now (shown, without saying whether the password was right).
    throttled: bool = False


# Passwords ---------------------------------------------------------------------------------------

_COMMON = frozenset((Path(__file__).with_name("common-passwords.txt")).read_text(encoding="utf-8").split())


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why a new password would be refused (empty if it is fine), in words for the person."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long; "
            "three random words make a strong one that is easy to remember"
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    elif _guessable(password, email=email, name=name):
        problems.append(
            "Password is too easy to guess; do not use a common password, your email address or name, "
            "the name of this service, or one character or sequence repeated"
        )
    return problems


def _guessable(password: str, *, email: str, name: str) -> bool:
    folded = password.lower()
    # Common words with digits or symbols stuck on ("Password123!") are as weak as the word.
    core = re.sub(r"[\W\d_]+$", "", re.sub(r"^[\W\d_]+", "", folded))
    if folded in _COMMON or core in _COMMON:
        return True
    personal = {email.lower(), email.lower().split("@")[0], name.lower().replace(" ", "")} - {""}
    context = {"mutuals", "knowledgebase", "mutualsknowledgebase", "knowledge base"}
    squashed = re.sub(r"[\W_]+", "", folded)
    if squashed in personal or core in personal or squashed in context or core in context:
        return True
    if len(set(folded)) <= 2:
        return True
    return _sequence(squashed)


def _sequence(text: str) -> bool:
    """A keyboard or alphabet run, e.g. abcdefghijkl, 123456789012, qwertyuiopas."""
    runs = ("abcdefghijklmnopqrstuvwxyz", "0123456789012345678901234567890", "qwertyuiopasdfghjklzxcvbnm")
    return len(text) >= MIN_PASSWORD_LENGTH and any(text in run or text in run[::-1] for run in runs)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DECOY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# Accounts ----------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def system_user(session: Session) -> User:
    """The account operators' commands act as (made by migration 0003)."""
    user = session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    if user is None:  # a database whose system account was removed by hand
        user = User(
            email=SYSTEM_EMAIL, name="Operators' commands (kb ingest)", role=Role.SYSTEM, active=False
        )
        session.add(user)
        session.flush()
    return user


def create_user(
    session: Session,
    email: str,
    *,
    role: str,
    name: str = "",
    providers: tuple[str, ...] | list[str] = (),
    password: str | None = None,
) -> User:
    """A new account. Advisors need at least one provider; a password, if given, must pass the policy."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an email address, like name@example.org")
    if role not in Role.ASSIGNABLE:
        raise AccountError(f"{role!r} is not a role; choose one of {', '.join(Role.ASSIGNABLE)}")
    if find(session, email) is not None:
        raise AccountError(f"there is already an account for {email}")
    providers = tidy_providers(providers)
    if role == Role.ADVISOR and not providers:
        raise AccountError("an advisor must belong to at least one provider (the firm they advise for)")
    _check_lengths(name, providers)
    user = User(
        email=email,
        name=" ".join(name.split()),
        role=role,
        active=True,
        session_version=1,
        failed_signins=0,
        provider_rows=[UserProvider(provider=provider) for provider in providers],
    )
    if password is not None:
        problems = password_problems(password, email=email, name=name)
        if problems:
            raise AccountError("; ".join(problems))
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def _check_lengths(name: str, providers) -> None:
    if len(" ".join(name.split())) > MAX_NAME_LENGTH:
        raise AccountError(f"a name must be {MAX_NAME_LENGTH} characters or fewer")
    if any(len(provider) > MAX_PROVIDER_LENGTH for provider in providers):
        raise AccountError(f"a provider's name must be {MAX_PROVIDER_LENGTH} characters or fewer")


def tidy_providers(values, canonical=None) -> list[str]:
    """Provider names as given, spaces folded, blanks and repeats dropped, in order; with
    `canonical` (`Providers.canonical`, from providers.yml), aliases become the firm's name, so an
    advisor's firms match the names on deliverables."""
    names = (" ".join(value.split()) for value in values if value.strip())
    return list(dict.fromkeys(canonical(name) if canonical else name for name in names))


def set_password(user: User, password: str) -> None:
    """Set a new password (it must pass the policy) and end the account's other sessions."""
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        raise AccountError("; ".join(problems))
    user.password_hash = hash_password(password)
    user.failed_signins = 0
    user.last_failed_signin_at = None
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session carries the version it began with."""
    user.session_version = (user.session_version or 0) + 1


def change_role(user: User, role: str, providers: list[str] | None = None) -> None:
    if role not in Role.ASSIGNABLE:
        raise AccountError(f"{role!r} is not a role; choose one of {', '.join(Role.ASSIGNABLE)}")
    if providers is not None:
        providers = tidy_providers(providers)
        _check_lengths("", providers)
        user.provider_rows = [UserProvider(provider=p) for p in providers]
    if role == Role.ADVISOR and not user.provider_rows:
        raise AccountError("an advisor must belong to at least one provider")
    if role != user.role:
        user.role = role
        end_sessions(user)


def deactivate(user: User) -> None:
    user.active = False
    end_sessions(user)


def needs_two_factor(user: User) -> bool:
    return user.role in TWO_FACTOR_ROLES or user.totp_secret is not None


def session_token(user: User) -> str:
    """What a session stores to name its account: the id and the session version."""
    return f"{user.id}:{user.session_version}"


def from_session_token(session: Session, token: str) -> User | None:
    """The account a session belongs to, if the session is still valid (the account is active and
    its sessions were not ended since)."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.role == Role.SYSTEM or user.session_version != int(version):
        return None
    return user


# Signing in --------------------------------------------------------------------------------------


def throttled(user: User, now: dt.datetime) -> bool:
    """Whether the account refuses sign-in for now after too many wrong passwords."""
    return (
        user.failed_signins >= MAX_FAILURES
        and user.last_failed_signin_at is not None
        and now - user.last_failed_signin_at < dt.timedelta(minutes=LOCK_MINUTES)
    )


def check_password(session: Session, email: str, password: str, now: dt.datetime | None = None) -> SignIn:
    """The first step of signing in. Counts failures on the account; the caller commits."""
    now = now or utcnow()
    user = find(session, email)
    if user is None or user.role == Role.SYSTEM:
        _verify(None, password)
        return SignIn(False, reason="no such account")
    if throttled(user, now):
        _verify(None, password)  # as long as any other answer: the time says nothing either
        return SignIn(False, reason="throttled", throttled=True)
    if not _verify(user.password_hash, password):
        record_failure(session, user, now)
        return SignIn(False, reason="wrong password", throttled=throttled(user, now))
    if not user.active:
        return SignIn(False, reason="deactivated")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(True, user=user)


def record_failure(session: Session, user: User, now: dt.datetime) -> None:
    """Count a wrong password or code on the account. One UPDATE adding 1 in the database, so
    guesses sent at the same moment are all counted, then the row is read back."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_signins=User.failed_signins + 1, last_failed_signin_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user, ["failed_signins", "last_failed_signin_at"])


def signed_in(user: User, now: dt.datetime | None = None) -> None:
    """Every step passed: the failure count starts again."""
    user.failed_signins = 0
    user.last_failed_signin_at = None
    user.last_signin_at = now or utcnow()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_totp(user: User, code: str, secret: str | None = None, now: dt.datetime | None = None) -> bool:
    """Whether `code` is the account's current code (or the one before or after, for clocks that
    drift), and not one used already. `secret` checks a secret being set up."""
    secret = secret or user.totp_secret
    code = re.sub(r"\s+", "", code or "")
    if not secret or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(secret)
    moment = (now or utcnow()).replace(tzinfo=dt.UTC)
    current = totp.timecode(moment)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def enable_totp(user: User, secret: str, code: str, now: dt.datetime | None = None) -> bool:
    """Turn on two-factor sign-in once the person has shown their app makes the right codes."""
    if not check_totp(user, code, secret=secret, now=now):
        return False
    user.totp_secret = secret
    return True


# Set-password links ------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(session: Session, user: User, purpose: str, now: dt.datetime | None = None) -> str:
    """A one-time secret for a set-password link (an invitation or a reset). Earlier unused links
    for the account stop working. Returns the secret; only its hash is stored."""
    now = now or utcnow()
    for link in session.scalars(
        select(SetPasswordLink).where(SetPasswordLink.user_id == user.id, SetPasswordLink.used_at.is_(None))
    ):
        link.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        SetPasswordLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=link_expiry(purpose, now),
        )
    )
    session.flush()
    return token


def link_expiry(purpose: str, issued: dt.datetime) -> dt.datetime:
    """When a set-password link issued at `issued` stops working: invitations last longer than resets."""
    lifetime = (
        dt.timedelta(days=INVITE_DAYS) if purpose == LinkPurpose.INVITE else dt.timedelta(hours=RESET_HOURS)
    )
    return issued + lifetime


def find_link(session: Session, token: str, now: dt.datetime | None = None) -> SetPasswordLink | None:
    """The unused, unexpired link for a secret, if any, on an active account."""
    now = now or utcnow()
    link = session.scalar(select(SetPasswordLink).where(SetPasswordLink.token_hash == _digest(token or "")))
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.active:
        return None
    return link


def use_link(link: SetPasswordLink, password: str, now: dt.datetime | None = None) -> User:
    """Set the password through a link; the link is then spent, and other sessions end."""
    set_password(link.user, password)
    link.used_at = now or utcnow()
    return link.user
