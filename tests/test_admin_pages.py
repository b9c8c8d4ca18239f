"""Admins manage accounts through the pages: invite (the link works), change a role, deactivate,
reset; never their own role; non-admins get 403 on every admin form."""

from __future__ import annotations

import pyotp
import pytest

from knowledgebase import accounts
from knowledgebase.db import get_database
from knowledgebase.models import AuditEvent, Role

from .conftest import backend_of, make_app
from .pages import get_page, submit

PASSWORD = "orbit lantern stapler crane"


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    with get_database(app).session() as session:
        admin = accounts.create_user(session, "admin@kb.example", role=Role.ADMIN, password=PASSWORD)
        admin.totp_secret = pyotp.random_base32()
        accounts.create_user(
            session, "advisor@mv.example", role=Role.ADVISOR, providers=["Mutual Ventures"], password=PASSWORD
        )
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def _sign_in(app, email):
    client = app.test_client()
    page = submit(client, get_page(client, "/sign-in"), "main form", email=email, password=PASSWORD)
    if page.select_one("#code"):
        with get_database(app).session() as session:
            secret = accounts.find(session, email).totp_secret
        page = submit(client, page, "main form", code=pyotp.TOTP(secret).now())
    return client


def test_an_admin_invites_someone_and_the_link_sets_their_password(app):
    admin = _sign_in(app, "admin@kb.example")
    page = get_page(admin, "/admin/")
    page = submit(admin, page, "form.app-invite", status=400, email="not an address", providers="BWB")
    assert page.select_one(".govuk-error-summary a")["href"] == "#email"
    assert page.select_one("#email")["value"] == "not an address"
    page = submit(admin, page, "form.app-invite", email="new@bwb.example", name="Nia Jones", providers="BWB")
    link = page.select_one("#link").get_text()
    assert "/set-password/" in link
    with get_database(app).session() as session:
        assert accounts.find(session, "new@bwb.example").providers == ["Bates Wells Braithwaite"]  # canonical
    person = app.test_client()
    path = link[link.index("/set-password/") :]
    page = submit(person, get_page(person, path), "main form", password=PASSWORD, confirm=PASSWORD)
    assert "Your password is set" in page.get_text()
    assert _sign_in(app, "new@bwb.example").get("/publish/").status_code == 200


def test_an_admin_changes_a_role_which_ends_that_persons_sessions(app):
    advisor = _sign_in(app, "advisor@mv.example")
    admin = _sign_in(app, "admin@kb.example")
    page = get_page(admin, "/admin/")
    page = get_page(admin, page.find("a", string="advisor@mv.example")["href"])
    form_page = page
    page = submit(admin, form_page, "form:has(#role)", check=("role", "editor"))
    assert "Saved." in page.get_text()
    assert advisor.get("/publish/").status_code == 302
    with get_database(app).session() as session:
        event = session.query(AuditEvent).filter_by(action="role_changed").one()
        assert (event.actor, event.target, event.detail) == (
            "admin@kb.example",
            "advisor@mv.example",
            "advisor to editor",
        )


def test_deactivated_people_cannot_sign_in_and_admins_cannot_deactivate_themselves(app):
    admin = _sign_in(app, "admin@kb.example")
    with get_database(app).session() as session:
        advisor_id = accounts.find(session, "advisor@mv.example").id
        admin_id = accounts.find(session, "admin@kb.example").id
    page = submit(admin, get_page(admin, f"/admin/users/{advisor_id}"), "form#deactivate")
    assert "deactivated and signed out everywhere" in page.get_text()
    person = app.test_client()
    assert submit(
        person,
        get_page(person, "/sign-in"),
        "main form",
        status=400,
        email="advisor@mv.example",
        password=PASSWORD,
    )
    own = get_page(admin, f"/admin/users/{admin_id}")
    assert own.select_one("form#deactivate") is None
    csrf = own.select_one("input[name=csrf_token]")["value"]
    response = admin.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": csrf})
    assert response.status_code == 400 and b"Another admin must" in response.data


def test_non_admins_get_403_on_every_admin_form(app):
    advisor = _sign_in(app, "advisor@mv.example")
    csrf = get_page(advisor, "/publish/").select_one("input[name=csrf_token]")["value"]
    for url in ("/admin/invite", "/admin/users/1/role", "/admin/users/1/deactivate"):
        assert (
            advisor.post(url, data={"csrf_token": csrf, "email": "x@y.org", "role": "admin"}).status_code
            == 403
        )


def test_the_cookies_page_lists_the_one_cookie(app):
    page = get_page(app.test_client(), "/cookies")
    assert "kb_session" in page.select_one("table").get_text()


def test_a_reset_link_is_refused_for_a_deactivated_account(app):
    admin = _sign_in(app, "admin@kb.example")
    with get_database(app).session() as session:
        advisor_id = accounts.find(session, "advisor@mv.example").id
    page = submit(admin, get_page(admin, f"/admin/users/{advisor_id}"), "form#deactivate")
    page = submit(admin, page, "form[action$='/reset-password']", status=400)
    assert "Reactivate the account first" in page.select_one(".govuk-error-summary").get_text()


def test_saving_the_same_providers_in_another_order_records_no_change(app):
    with get_database(app).session() as session:
        user = accounts.create_user(
            session, "two@x.example", role=Role.ADVISOR, providers=["Mutual Ventures", "Baxendale"]
        )
        user_id = user.id
    admin = _sign_in(app, "admin@kb.example")
    submit(admin, get_page(admin, f"/admin/users/{user_id}"), "form:has(#role)")
    with get_database(app).session() as session:
        assert session.query(AuditEvent).filter_by(action="providers_changed").count() == 0


def test_huge_ids_on_admin_pages_are_not_found(app):
    admin = _sign_in(app, "admin@kb.example")
    assert admin.get("/admin/users/99999999999999999999").status_code == 404
    assert admin.get("/admin/audit?before=99999999999999999999").status_code == 200
