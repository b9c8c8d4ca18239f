"""Signing in through the forms, and the guards, tested as an attacker would: redirects to sign in
for every non-public page, 403 for the wrong role, CSRF, throttling per account (on a fake clock)
and per address, two-factor codes, one-time links, sessions ending everywhere, open redirects."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from knowledgebase import accounts
from knowledgebase.db import get_database
from knowledgebase.models import AuditEvent, LinkPurpose, Role

from .conftest import backend_of, make_app
from .pages import get_page, submit

PASSWORD = "orbit lantern stapler crane"
T0 = dt.datetime(2026, 11, 25, 9, 0, 0)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, database_url, clock):
    app = make_app(tmp_path, database_url)
    app.extensions["kb.clock"] = clock
    with get_database(app).session() as session:
        accounts.create_user(
            session, "advisor@mv.example", role=Role.ADVISOR, providers=["Mutual Ventures"], password=PASSWORD
        )
        editor = accounts.create_user(session, "editor@kb.example", role=Role.EDITOR, password=PASSWORD)
        editor.totp_secret = pyotp.random_base32()
        admin = accounts.create_user(session, "admin@kb.example", role=Role.ADMIN, password=PASSWORD)
        admin.totp_secret = pyotp.random_base32()
    yield app
    backend_of(app).close()
    get_database(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _secret(app, email):
    with get_database(app).session() as session:
        return accounts.find(session, email).totp_secret


def sign_in(client, email, password=PASSWORD, next_url=None, status=200):
    page = get_page(client, "/sign-in" + (f"?next={next_url}" if next_url else ""))
    return submit(client, page, "main form", status=status, email=email, password=password)


def sign_in_with_code(app, client, email, clock):
    page = sign_in(client, email)
    assert page.h1.get_text(strip=True) in ("Enter your security code",), page.h1
    code = pyotp.TOTP(_secret(app, email)).at(clock.now)
    return submit(client, page, "main form", code=code)


def _events(app, action):
    with get_database(app).session() as session:
        return session.query(AuditEvent).filter_by(action=action).all()


def test_an_advisor_signs_in_through_the_form_and_lands_on_their_deliverables(app, client):
    page = sign_in(client, "ADVISOR@mv.example ")
    assert page.h1.get_text(strip=True) == "Your deliverables"
    assert "Mutual Ventures" in page.get_text()
    cookie = client.get_cookie("kb_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    (event,) = _events(app, "sign_in")
    assert (event.actor, event.address) == ("advisor@mv.example", "127.0.0.1")


def test_wrong_details_get_one_message_and_keep_the_email(app, client):
    for email, password in (("advisor@mv.example", "wrong password here"), ("nobody@mv.example", PASSWORD)):
        page = sign_in(client, email, password, status=400)
        assert page.title.get_text().startswith("Error: ")
        summary = page.select_one(".govuk-error-summary")
        assert summary.select_one("a")["href"] == "#email"
        assert "Enter a correct email address and password" in summary.get_text()
        assert page.select_one("#email")["value"] == email
        assert not page.select_one("#password").get("value")
    assert [e.detail for e in _events(app, "sign_in_failed")] == ["wrong password", "no such account"]
    page = submit(client, get_page(client, "/sign-in"), "main form", status=400)
    assert [a["href"] for a in page.select(".govuk-error-summary a")] == ["#email", "#password"]


def test_the_account_is_throttled_after_five_failures_until_the_lock_expires(app, client, clock):
    for _ in range(accounts.MAX_FAILURES):
        sign_in(client, "advisor@mv.example", "not the password", status=400)
        clock.advance(seconds=5)
    page = sign_in(client, "advisor@mv.example", PASSWORD, status=400)
    assert "Too many failed attempts" in page.select_one(".govuk-error-summary").get_text()
    assert _events(app, "sign_in_throttled")
    clock.advance(minutes=accounts.LOCK_MINUTES)
    assert sign_in(client, "advisor@mv.example").h1.get_text(strip=True) == "Your deliverables"


def test_an_address_is_limited_to_ten_sign_in_attempts_a_minute(app):
    client = app.test_client()
    statuses = [
        client.post(
            "/sign-in",
            data={"email": f"guess{n}@example.org", "password": "x", "csrf_token": _csrf(client)},
        ).status_code
        for n in range(11)
    ]
    assert statuses == [400] * 10 + [429]
    page = get_page(client, "/sign-in")  # looking at the form is not limited
    assert page.h1 is not None


def _csrf(client) -> str:
    page = get_page(client, "/sign-in")
    return page.select_one("input[name=csrf_token]")["value"]


def test_forms_without_a_valid_csrf_token_are_refused(client):
    for data in (
        {"email": "advisor@mv.example", "password": PASSWORD},
        {"csrf_token": "forged", "email": "x"},
    ):
        response = client.post("/sign-in", data=data)
        assert response.status_code == 400 and b"This form has expired" in response.data
    assert client.get_cookie("kb_session") is None or "_user_id" not in client.get_cookie("kb_session").value


def test_editors_need_a_code_and_each_code_works_once(app, client, clock):
    page = sign_in(client, "editor@kb.example")
    assert page.h1.get_text(strip=True) == "Enter your security code"
    assert client.get("/publish/").status_code == 302  # not signed in yet
    code = pyotp.TOTP(_secret(app, "editor@kb.example")).at(clock.now)
    page = submit(client, page, "main form", status=400, code="000000" if code != "000000" else "111111")
    assert "6-digit code" in page.select_one(".govuk-error-summary").get_text()
    page = submit(client, page, "main form", code=code)
    assert page.h1.get_text(strip=True) == "Your deliverables"
    # The same code again, in another browser, is refused.
    other = app.test_client()
    page = sign_in(other, "editor@kb.example")
    assert submit(other, page, "main form", status=400, code=code).title.get_text().startswith("Error:")


def test_the_code_step_expires(app, client, clock):
    page = sign_in(client, "editor@kb.example")
    clock.advance(minutes=11)
    code = pyotp.TOTP(_secret(app, "editor@kb.example")).at(clock.now)
    page = submit(client, page, "main form", code=code)
    assert page.h1.get_text(strip=True) == "Sign in"


def test_an_editor_without_two_factor_sets_it_up_at_first_sign_in(app, client, clock):
    with get_database(app).session() as session:
        accounts.create_user(session, "new@kb.example", role=Role.EDITOR, password=PASSWORD)
    page = sign_in(client, "new@kb.example")
    assert page.h1.get_text(strip=True) == "Set up two-factor sign-in"
    image = page.select_one("img.app-qr-code")
    assert image["src"].startswith("data:image/svg+xml")
    secret = page.select_one("#secret-key").get_text().replace(" ", "")
    page = submit(client, page, "main form", code=pyotp.TOTP(secret).at(clock.now))
    assert page.h1.get_text(strip=True) == "Your deliverables"
    assert _secret(app, "new@kb.example") == secret


@pytest.mark.parametrize("url", ["/publish/", "/admin/", "/admin/audit", "/admin/audit.csv"])
def test_anonymous_people_are_sent_to_sign_in_and_back(app, client, clock, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
    assert response.headers["Cache-Control"] == "no-store"
    page = get_page(client, response.location)
    page = submit(client, page, "main form", email="admin@kb.example", password=PASSWORD)
    code = pyotp.TOTP(_secret(app, "admin@kb.example")).at(clock.now)
    response = client.post(
        "/sign-in/two-factor",
        data={"code": code, "csrf_token": page.select_one("input[name=csrf_token]")["value"]},
    )
    assert (response.status_code, response.location) == (302, url)


@pytest.mark.parametrize("url", ["/admin/", "/admin/audit", "/admin/audit.csv"])
def test_non_admins_get_403_on_admin_pages(client, url):
    sign_in(client, "advisor@mv.example")
    assert client.get(url).status_code == 403


def test_admins_read_the_audit_log_and_download_it(app, client, clock):
    sign_in_with_code(app, client, "admin@kb.example", clock)
    page = get_page(client, "/admin/audit")
    assert "Signed in" in page.select_one("tbody").get_text()
    response = client.get("/admin/audit.csv")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "time_utc,actor,action,target,detail,address"
    assert any(",sign_in," in line for line in lines[1:])
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_the_return_address_after_sign_in_is_never_another_site(client, target):
    page = sign_in(client, "advisor@mv.example", next_url=target)
    assert page.h1.get_text(strip=True) == "Your deliverables"


def test_sessions_end_everywhere_when_the_role_changes(app, client):
    sign_in(client, "advisor@mv.example")
    assert client.get("/publish/").status_code == 200
    with get_database(app).session() as session:
        accounts.change_role(accounts.find(session, "advisor@mv.example"), Role.EDITOR)
    assert client.get("/publish/").status_code == 302


def test_sign_out_is_a_post_with_csrf(app, client):
    page = sign_in(client, "advisor@mv.example")
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400  # no token
    page = submit(client, page, "form.app-sign-out")
    assert "You have signed out" in page.get_text()
    assert client.get("/publish/").status_code == 302


def test_an_invitation_link_sets_the_password_once(app, client):
    with get_database(app).session() as session:
        user = accounts.create_user(session, "bo@bax.example", role=Role.ADVISOR, providers=["Baxendale"])
        token = accounts.issue_link(session, user, LinkPurpose.INVITE)
    page = get_page(client, f"/set-password/{token}")
    page = submit(client, page, "main form", status=400, password="password1234", confirm="password1234")
    assert "too easy to guess" in page.select_one(".govuk-error-summary").get_text()
    page = submit(client, page, "main form", status=400, password=PASSWORD, confirm=PASSWORD + "x")
    assert page.select_one(".govuk-error-summary a")["href"] == "#confirm"
    page = submit(client, page, "main form", password=PASSWORD, confirm=PASSWORD)
    assert "Your password is set" in page.get_text()
    assert client.get(f"/set-password/{token}").status_code == 410
    assert sign_in(client, "bo@bax.example").h1.get_text(strip=True) == "Your deliverables"
    assert client.get("/set-password/made-up-token").status_code == 410


def test_pages_behind_sign_in_are_not_cached_or_indexed_and_robots_keeps_out(app, client):
    response = client.get("/sign-in")
    assert (response.headers["Cache-Control"], response.headers["X-Robots-Tag"]) == (
        "no-store",
        "noindex, nofollow",
    )
    robots = client.get("/robots.txt").get_data(as_text=True)
    for path in ("/publish/", "/admin/", "/sign-in", "/set-password/"):
        assert f"Disallow: {path}" in robots
    reader = app.test_client()
    for url in ("/", "/search?q=tupe", "/about"):  # readers get no cookies
        assert reader.get(url).headers.get("Set-Cookie") is None, url


def test_uploads_are_limited_in_size(client):
    response = client.post("/sign-in", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_the_secret_key_is_made_once_and_kept_private(tmp_path):
    from knowledgebase.config import _instance_secret

    first = _instance_secret(tmp_path / "instance")
    assert _instance_secret(tmp_path / "instance") == first and re.fullmatch(r"[0-9a-f]{64}", first)
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]


def test_every_page_behind_sign_in_sends_anonymous_people_to_sign_in(app, client):
    """Every route under /publish/ and /admin/, whatever its method: GETs go to sign-in (and back),
    and POSTs too, even with a valid CSRF token."""
    token = _csrf(client)
    values = {"slug": "any-slug", "user_id": 1, "move": "submit", "action": "role"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/publish", "/admin")):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(values[name]), path)
        if "GET" in rule.methods:
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302, (rule.rule, response.status_code)
        assert response.location.startswith("/sign-in?next="), rule.rule
        checked += 1
    assert checked >= 15


def test_signing_out_makes_a_copied_cookie_useless(app, client):
    sign_in(client, "advisor@mv.example")
    copied = client.get_cookie("kb_session").value
    page = submit(client, get_page(client, "/publish/"), "form.app-sign-out")
    assert "You have signed out" in page.get_text()
    thief = app.test_client()
    thief.set_cookie("kb_session", copied)
    assert thief.get("/publish/").status_code == 302


def test_the_lockout_message_does_not_say_whether_an_account_exists(app, clock):
    answers = {}
    for email in ("advisor@mv.example", "nobody@mv.example"):
        app.extensions["kb.limiter"].reset()  # the per-address limit is not what is tested here
        client = app.test_client()
        answers[email] = [
            "Too many failed attempts" in sign_in(client, email, "wrong password!", status=400).get_text()
            for _ in range(accounts.MAX_FAILURES + 1)
        ]
    assert answers["advisor@mv.example"] == answers["nobody@mv.example"] == [False] * 4 + [True] * 2
    clock.advance(minutes=accounts.LOCK_MINUTES + 1)
    client = app.test_client()
    assert "Too many" not in sign_in(client, "nobody@mv.example", "wrong password!", status=400).get_text()


def test_with_redis_every_process_shares_the_per_address_count(tmp_path, database_url):
    """Two apps stand for two gunicorn workers: with KB_RATELIMIT_STORAGE_URL they count together."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {url} (the local service CI runs): {error}")
    workers = [make_app(tmp_path, database_url, RATELIMIT_STORAGE_URL=url) for _ in range(2)]
    workers[0].extensions["kb.limiter"].reset()  # counts left by an earlier run
    statuses = []
    for attempt in range(11):
        client = workers[attempt % 2].test_client()
        token = _csrf(client)
        statuses.append(
            client.post(
                "/sign-in", data={"email": "x@y.org", "password": "x", "csrf_token": token}
            ).status_code
        )
    assert statuses == [400] * 10 + [429]
    for worker in workers:
        worker.extensions["kb.limiter"].reset()
        backend_of(worker).close()
        get_database(worker).dispose()
