"""The authoring and review pages, used as people would: through the forms (fields filled, files
uploaded, buttons pressed), on SQLite and PostgreSQL; and as attackers would (other providers'
drafts, GETs that should be POSTs, forged tokens, self-approval)."""

from __future__ import annotations

import io

import pyotp
import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from knowledgebase import accounts
from knowledgebase.db import get_database
from knowledgebase.models import Role

from .conftest import backend_of, deliverable_text, make_app
from .pages import check_every_page, form_fields, get_page, submit

PASSWORD = "orbit lantern stapler crane"


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    with get_database(app).session() as session:
        accounts.create_user(
            session, "advisor@mv.example", role=Role.ADVISOR, providers=["Mutual Ventures"], password=PASSWORD
        )
        accounts.create_user(
            session, "other@bax.example", role=Role.ADVISOR, providers=["Baxendale"], password=PASSWORD
        )
        for email in ("editor@kb.example", "second@kb.example"):
            editor = accounts.create_user(session, email, role=Role.EDITOR, password=PASSWORD)
            editor.totp_secret = pyotp.random_base32()
    yield app
    backend_of(app).close()
    get_database(app).dispose()


def signed_in(app, email):
    client = app.test_client()
    page = get_page(client, "/sign-in")
    page = submit(client, page, "main form", email=email, password=PASSWORD)
    if page.h1.get_text(strip=True) == "Enter your security code":
        with get_database(app).session() as session:
            secret = accounts.find(session, email).totp_secret
        page = submit(client, page, "main form", code=pyotp.TOTP(secret).now())
    assert page.h1.get_text(strip=True) == "Your deliverables"
    return client, page


def upload(client, page, name: str, text: str, status=200) -> BeautifulSoup:
    """Choose a file in the upload form and press its button."""
    form = page.select_one("form.app-upload")
    data = MultiDict(form_fields(form))
    data.add("upload", (io.BytesIO(text.encode("utf-8")), name))
    response = client.post(form["action"], data=data, content_type="multipart/form-data")
    assert response.status_code == status, response.data[:300]
    soup = BeautifulSoup(response.data, "html.parser")
    check_every_page(soup)
    return soup


def press(client, page, selector, status=200, **fields) -> BeautifulSoup:
    return submit(client, page, selector, status=status, **fields)


def test_an_advisor_uploads_fixes_previews_submits_and_an_editor_publishes(app):
    advisor, page = signed_in(app, "advisor@mv.example")
    page = get_page(advisor, page.select_one("a.govuk-button[href='/publish/new']")["href"])
    assert page.select_one("#provider").get_text() == "Mutual Ventures"  # the advisor's own firm
    # A file with a mistake: the error names the field, which keeps the file's other values.
    text = deliverable_text(sector=["moon-base"], slug="knowsley-youth-plan")
    page = upload(advisor, page, "knowsley-youth-plan.md", text, status=400)
    summary = page.select_one(".govuk-error-summary")
    assert summary.select_one("a")["href"] == "#sector"
    assert "Choose the sectors from the list: 'moon-base' is not one of them" in summary.get_text()
    assert (
        "Choose the sectors from the list: 'moon-base' is not one of them"
        in page.select_one("#sector-error").get_text()
    )
    assert page.select_one("#title")["value"] == "Business plan for a staff-led youth services mutual"
    # Fix it: tick the right sector, save.
    page = press(advisor, page, "form.app-deliverable-form", check=("sector", "youth-services"))
    assert page.h1.get_text(strip=True) == "Business plan for a staff-led youth services mutual"
    assert "Saved as revision 1." in page.get_text()
    preview = get_page(advisor, page.find("a", string="Preview the latest revision")["href"])
    assert "Preview" in preview.select_one(".app-preview").get_text()
    assert "Staff will transfer under TUPE" in preview.select_one("article").get_text()
    assert advisor.get("/deliverables/knowsley-youth-plan").status_code == 404  # not public yet
    page = press(advisor, page, "form#submit")
    assert "Submitted for review" in page.get_text()
    assert page.select_one("form#submit") is None
    assert not page.find("button", string=lambda s: s and "Publish" in s)  # advisors never publish

    editor, home = signed_in(app, "editor@kb.example")
    waiting = home.find("h2", string="Waiting for review").find_next("ul")
    page = get_page(editor, waiting.select_one("a")["href"])
    press(editor, page, "form:has(#request_changes)", comment="Say which pension scheme staff stay in.")
    page = get_page(advisor, "/publish/knowsley-youth-plan")
    assert "Say which pension scheme staff stay in." in page.select_one(".app-comment").get_text()

    edit = get_page(advisor, page.find("a", string="Edit")["href"])
    press(
        advisor,
        edit,
        "form.app-deliverable-form",
        body="# Executive summary\n\nStaff keep their LGPS pensions.\n",
    )
    page = press(advisor, get_page(advisor, "/publish/knowsley-youth-plan"), "form#submit")

    page = get_page(editor, "/publish/knowsley-youth-plan")
    assert page.select_one(".app-diff") is None  # never published: nothing to compare against
    publish_form = page.find("button", string=lambda s: s and s.strip().startswith("Publish revision"))
    page = press(editor, page, "form:has(input[name=reviewed])")
    assert "Published. Search is up to date." in page.get_text()
    public = get_page(editor, "/deliverables/knowsley-youth-plan")
    assert "LGPS" in public.select_one("article").get_text()
    assert publish_form is not None
    results = editor.get("/api/search?q=LGPS").get_json()
    assert [r["slug"] for r in results["results"]] == ["knowsley-youth-plan"]


def test_editing_a_published_deliverable_leaves_the_public_page_until_approved(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    edit = get_page(advisor, "/publish/knowsley-youth-plan/edit")
    form = edit.select_one("form.app-deliverable-form")
    page = press(advisor, edit, "form.app-deliverable-form", title="A revised title", change_note="Retitled")
    assert "Saved as revision 2." in page.get_text()
    assert form is not None
    public = get_page(advisor, "/deliverables/knowsley-youth-plan")
    assert public.h1.get_text(strip=True) == "Business plan for a staff-led youth services mutual"
    page = press(advisor, page, "form#submit")
    review = get_page(editor, "/publish/knowsley-youth-plan")
    assert "title: A revised title" in review.select_one(".app-diff__line--added").get_text()
    press(editor, review, "form:has(input[name=reviewed])")
    assert get_page(advisor, "/deliverables/knowsley-youth-plan").h1.get_text(strip=True) == "A revised title"
    # Comparing the two revisions shows only what the advisor changed (the slug is in both).
    history = get_page(advisor, "/publish/knowsley-youth-plan/history")
    compared = submit(advisor, history, "form.app-compare")
    removed = [row.select_one("code").get_text() for row in compared.select(".app-diff__line--removed")]
    added = [row.select_one("code").get_text() for row in compared.select(".app-diff__line--added")]
    assert (removed, added) == (
        ["title: Business plan for a staff-led youth services mutual"],
        ["title: A revised title"],
    )


def _publish_one(advisor, editor, slug="knowsley-youth-plan"):
    page = get_page(advisor, "/publish/new")
    page = upload(advisor, page, f"{slug}.md", deliverable_text(slug=slug))
    page = press(advisor, page, "form.app-deliverable-form")
    press(advisor, page, "form#submit")
    page = get_page(editor, f"/publish/{slug}")
    return press(editor, page, "form:has(input[name=reviewed])")


def test_withdraw_with_a_reason_and_read_the_history(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    page = _publish_one(advisor, editor)
    page = press(editor, page, "form:has(#withdraw)", status=400, reason="")
    assert page.select_one(".govuk-error-summary a")["href"] == "#withdraw"
    page = press(editor, page, "form:has(#withdraw)", reason="Superseded by the 2015 plan.")
    assert "Withdrawn." in page.get_text()
    public = get_page(advisor, "/deliverables/knowsley-youth-plan")
    assert "Superseded by the 2015 plan." in public.select_one(".app-withdrawn").get_text()
    assert "First published on this site" in public.select_one(".app-history").get_text()
    history = get_page(editor, "/publish/knowsley-youth-plan/history")
    assert [td.get_text(strip=True)[:1] for td in history.select("tbody tr td:first-child")] == ["1"]


def test_a_second_save_from_the_same_revision_shows_a_conflict_and_keeps_the_text(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    mine = get_page(advisor, "/publish/knowsley-youth-plan/edit")
    theirs = get_page(editor, "/publish/knowsley-youth-plan/edit")
    press(editor, theirs, "form.app-deliverable-form", title="The editor's title")
    page = press(advisor, mine, "form.app-deliverable-form", status=409, title="The advisor's title")
    assert page.h1.get_text(strip=True) == "Someone else saved first"
    assert "The advisor's title" in page.select_one("#mine").get_text()


def test_an_editor_cannot_publish_their_own_draft(app):
    editor, _ = signed_in(app, "editor@kb.example")
    page = upload(editor, get_page(editor, "/publish/new"), "own.md", deliverable_text(slug="own"))
    page = press(editor, page, "form.app-deliverable-form")
    page = press(editor, page, "form#submit")
    assert "another editor must review and publish it" in page.get_text()
    assert page.select_one("input[name=reviewed]") is None
    csrf = page.select_one("input[name=csrf_token]")["value"]
    response = editor.post("/publish/own/publish", data={"csrf_token": csrf, "reviewed": "1"})
    assert response.status_code == 400
    assert "another editor" in response.get_data(as_text=True)


def test_another_providers_advisor_gets_404_everywhere(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    other, home = signed_in(app, "other@bax.example")
    assert "knowsley" not in home.get_text().lower()
    for url in ("", "/edit", "/preview", "/history", "/diff?from=1&to=1"):
        assert other.get(f"/publish/knowsley-youth-plan{url}").status_code == 404, url
    csrf = home.select_one("input[name=csrf_token]")["value"]
    for move in ("submit", "withdraw", "edit", "upload"):
        response = other.post(
            f"/publish/knowsley-youth-plan/{move}", data={"csrf_token": csrf, "reason": "x"}
        )
        assert response.status_code == 404, move


def test_state_changes_need_post_and_a_token(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    page = upload(advisor, get_page(advisor, "/publish/new"), "plan.md", deliverable_text(slug="plan"))
    press(advisor, page, "form.app-deliverable-form")
    assert advisor.get("/publish/plan/submit").status_code == 405
    assert advisor.post("/publish/plan/submit").status_code == 400
    assert advisor.post("/publish/plan/submit", data={"csrf_token": "forged"}).status_code == 400
    assert get_page(advisor, "/publish/plan").select_one("form#submit") is not None  # still a draft


def test_uploading_something_that_is_not_markdown_says_so(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    page = get_page(advisor, "/publish/new")
    form = page.select_one("form.app-upload")
    data = MultiDict(form_fields(form))
    data.add("upload", (io.BytesIO(b"\xff\xfe\x00binary"), "plan.md"))
    response = advisor.post(form["action"], data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and b"saved as UTF-8" in response.data
    response = advisor.post(
        form["action"], data=MultiDict(form_fields(form)), content_type="multipart/form-data"
    )
    assert response.status_code == 400 and b"Choose a Markdown file" in response.data


def test_a_failed_save_keeps_everything_typed(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    page = get_page(advisor, "/publish/new")
    page = press(
        advisor, page, "form.app-deliverable-form", status=400, title="My title", award_value="93,000x"
    )
    assert page.select_one("#title")["value"] == "My title"
    assert page.select_one("#award_value")["value"] == "93,000x"
    hrefs = [a["href"] for a in page.select(".govuk-error-summary a")]
    assert "#summary" in hrefs and "#award_value" in hrefs and "#body" in hrefs
    for href in hrefs:
        assert page.select_one(href) is not None, href  # every error links to its field


def test_publishing_needs_every_personal_data_warning_ticked_whatever_the_form_says(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    body = "# Contacts\n\nCall Mrs Jane Doe on 020 7946 0123 or 07700 900123.\n"
    page = upload(advisor, get_page(advisor, "/publish/new"), "plan.md", deliverable_text(body, slug="plan"))
    press(advisor, press(advisor, page, "form.app-deliverable-form"), "form#submit")
    review = get_page(editor, "/publish/plan")
    boxes = review.select("input[name=checked]")
    assert len(boxes) >= 2
    csrf = review.select_one("input[name=csrf_token]")["value"]
    # A forged request claiming there is nothing to tick, and one with only the first ticked.
    for data in ({"findings": "0"}, {"checked": "1"}):
        response = editor.post("/publish/plan/publish", data={"csrf_token": csrf, "reviewed": "1", **data})
        assert response.status_code == 400, data
        assert b"checked each possible piece of personal data" in response.data
    for box in boxes:
        box["checked"] = "checked"
    page = press(editor, review, "form:has(input[name=reviewed])")
    assert "Published." in page.get_text()


# Found by review, as an attacker or an unlucky person would meet them -----------------------------


def _submitted_edit(advisor, editor, **fields):
    _publish_one(advisor, editor)
    edit = get_page(advisor, "/publish/knowsley-youth-plan/edit")
    page = press(advisor, edit, "form.app-deliverable-form", **fields)
    return press(advisor, page, "form#submit")


def test_a_public_change_note_is_reviewed_and_checked_for_personal_data(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _submitted_edit(
        advisor,
        editor,
        title="Retitled",
        change_note="Call Mrs Jane Doe on 07700 900123",
        check=("public_note", "1"),
    )
    review = get_page(editor, "/publish/knowsley-youth-plan")
    assert "Call Mrs Jane Doe on 07700 900123" in review.get_text()  # the note is shown for review
    ticks = [box.find_next("label").get_text() for box in review.select("input[name=checked]")]
    assert any("public change note" in tick for tick in ticks), ticks
    page = press(editor, review, "form:has(input[name=reviewed])", status=400)
    assert (
        "checked each possible piece of personal data" in page.select_one(".govuk-error-summary").get_text()
    )


def test_an_earlier_public_note_stays_in_the_history_after_later_revisions(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    for title, note, public in (
        ("Retitled", "Pension figures updated for 2015", True),
        ("Retitled.", "Typo", False),
    ):
        edit = get_page(advisor, "/publish/knowsley-youth-plan/edit")
        fields = {"title": title, "change_note": note}
        if public:
            fields["check"] = ("public_note", "1")
        press(advisor, edit, "form.app-deliverable-form", **fields)
    press(advisor, get_page(advisor, "/publish/knowsley-youth-plan"), "form#submit")
    page = get_page(editor, "/publish/knowsley-youth-plan")
    press(editor, page, "form:has(input[name=reviewed])")
    history = get_page(advisor, "/deliverables/knowsley-youth-plan").select_one(".app-history").get_text()
    assert "Pension figures updated for 2015" in history and "Typo" not in history


def test_withdrawing_closes_a_waiting_draft_so_it_does_not_wait_for_ever(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    review = _submitted_edit(advisor, editor, title="Retitled")
    review = get_page(editor, "/publish/knowsley-youth-plan")
    press(editor, review, "form:has(#withdraw)", reason="Out of date.")
    home = get_page(editor, "/publish/")
    assert home.find("h2", string="Waiting for review") is None
    response = advisor.get("/publish/knowsley-youth-plan/edit")  # a withdrawn one cannot be edited
    assert response.status_code == 409 and b"not possible now" in response.data


def test_huge_or_odd_numbers_are_not_found_never_a_500(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    huge = "9" * 30
    for url in (
        f"/publish/knowsley-youth-plan/diff?from={huge}&to=1",
        "/publish/knowsley-youth-plan/diff?from=²&to=1",
    ):
        assert editor.get(url).status_code == 404, url
    csrf = get_page(editor, "/publish/").select_one("input[name=csrf_token]")["value"]
    for data in ({"number": huge}, {"number": "-1"}, {"number": "x", "based_on": huge}):
        response = editor.post("/publish/knowsley-youth-plan/restore", data={"csrf_token": csrf, **data})
        assert response.status_code == 400, data
    for data in ({"reviewed": huge}, {"reviewed": "1.5"}):
        response = editor.post("/publish/knowsley-youth-plan/publish", data={"csrf_token": csrf, **data})
        assert response.status_code in (400, 409), data
    page = press(
        advisor, get_page(advisor, "/publish/new"), "form.app-deliverable-form", status=400, award_value="²"
    )
    assert "#award_value" in [a["href"] for a in page.select(".govuk-error-summary a")]


def test_texts_too_long_to_compare_still_show_the_review_page(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    _publish_one(advisor, editor)
    body = "a\nb\n" * 2500  # repetitive lines: the slowest kind to compare
    _submitted_edit_body = get_page(advisor, "/publish/knowsley-youth-plan/edit")
    page = press(advisor, _submitted_edit_body, "form.app-deliverable-form", body=body)
    assert "Saved as revision 2." in page.get_text()
    review = get_page(editor, "/publish/knowsley-youth-plan")
    assert "too long to compare line by line" in review.get_text()
    too_long = "x" * 300_001
    page = press(
        advisor,
        get_page(advisor, "/publish/knowsley-youth-plan/edit"),
        "form.app-deliverable-form",
        status=400,
        body=too_long,
    )
    assert "at most 300,000 are accepted" in page.select_one("#body-error").get_text()


def test_the_slug_new_is_reserved_for_the_form(app):
    advisor, _ = signed_in(app, "advisor@mv.example")
    page = upload(
        advisor, get_page(advisor, "/publish/new"), "plan.md", deliverable_text(slug="new"), status=400
    )
    assert "reserved for the site's own pages" in page.select_one("#slug-error").get_text()
    # A title that would make the slug "new" gets another.
    page = upload(advisor, get_page(advisor, "/publish/new"), "New Plan.md", deliverable_text(title="New"))
    page = press(advisor, page, "form.app-deliverable-form")
    assert page.h1.get_text(strip=True) == "New"
    assert page.find("a", string="Edit")["href"] == "/publish/new-deliverable/edit"


def test_an_advisor_for_a_firm_with_accents_sees_its_deliverables_listed(app):
    with get_database(app).session() as session:
        accounts.create_user(
            session, "eve@el.example", role=Role.ADVISOR, providers=["Énergie Légale"], password=PASSWORD
        )
    eve, _ = signed_in(app, "eve@el.example")
    page = upload(
        eve,
        get_page(eve, "/publish/new"),
        "plan.md",
        deliverable_text(slug="plan", provider=["ÉNERGIE LÉGALE"]),
    )
    press(eve, page, "form.app-deliverable-form")
    listed = [a.get_text(strip=True) for a in get_page(eve, "/publish/").select("tbody a")]
    assert listed == ["Business plan for a staff-led youth services mutual"]


def test_a_publish_during_an_ingest_says_search_will_catch_up_and_kb_sync_finishes_it(app):
    from filelock import FileLock

    app.config["PUBLISH_INDEX_WAIT"] = 0.2
    advisor, _ = signed_in(app, "advisor@mv.example")
    editor, _ = signed_in(app, "editor@kb.example")
    page = upload(advisor, get_page(advisor, "/publish/new"), "plan.md", deliverable_text(slug="plan"))
    press(advisor, press(advisor, page, "form.app-deliverable-form"), "form#submit")
    review = get_page(editor, "/publish/plan")
    with FileLock(app.config["INGEST_LOCK"]):  # an ingest is running
        page = press(editor, review, "form:has(input[name=reviewed])")
    assert "Search has not caught up yet" in page.get_text()
    assert editor.get("/deliverables/plan").status_code == 200  # published all the same
    assert editor.get("/api/search?q=tupe").get_json()["total"] == 0
    result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert [r["slug"] for r in editor.get("/api/search?q=tupe").get_json()["results"]] == ["plan"]
