"""The publishing issue's "done when", in a real browser: an advisor uploads a file with a
mistake, fixes it, previews and submits; an editor asks for a change, then publishes; search
finds it; a later edit stays off the public page until it is published; a withdrawal shows its
notice and leaves search; the history compares two revisions. Everything is done through the
pages (typing, ticking, choosing files, pressing buttons), with JavaScript on and off; then the
publishing pages' Content Security Policy and axe checks.

Publishing changes what the site holds, so this module has its own sample instance (it overrides
`live_server`); the other browser tests keep theirs unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from knowledgebase import accounts
from knowledgebase.db import get_database
from knowledgebase.models import Role

from ..conftest import deliverable_text
from .conftest import DESKTOP_JS, DESKTOP_NOJS, assert_accessible, build_sample_instance, serving
from .test_journeys import result_urls, search_from_home

PASSWORD = "orbit lantern stapler crane"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A sample instance of this module's own. The sign-in rate limit (10 a minute for the
    address, and every browser here is 127.0.0.1) is off: these journeys sign in more often
    than that, and the limit has its own tests."""
    app = build_sample_instance(tmp_path_factory.mktemp("publishing"), RATELIMIT_ENABLED=False)
    with serving(app) as server:
        yield server


@dataclass(frozen=True)
class Account:
    email: str
    secret: str | None  # the TOTP secret; None until an editor sets up two-factor sign-in


def make_account(live_server, email: str, role: Role, *, two_factor: bool = True) -> Account:
    """An account in the site's database, as `kb users create` makes one."""
    with get_database(live_server.app).session() as session:
        providers = ["Mutual Ventures"] if role == Role.ADVISOR else []
        user = accounts.create_user(session, email, role=role, providers=providers, password=PASSWORD)
        secret = pyotp.random_base32() if role != Role.ADVISOR and two_factor else None
        user.totp_secret = secret
        session.commit()
    return Account(email, secret)


def sign_in(page: Page, account: Account) -> Account:
    """Sign in at /sign-in as a person does; an editor types the code their app shows, or sets up
    two-factor sign-in first, reading the key off the page. Returns the account with its secret."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    secret = account.secret
    if secret is None and page.url.endswith("/sign-in/set-up-two-factor"):
        secret = page.locator("#secret-key").inner_text().replace(" ", "")
        page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    elif secret is not None:
        page.get_by_label("Enter your security code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your deliverables")
    return Account(account.email, secret)


def flash(page: Page):
    return page.locator(".govuk-notification-banner--success")


def open_from_list(page: Page, title: str, heading: str | None = None) -> None:
    """From anywhere behind sign-in: "Your deliverables" in the header, then the deliverable's link
    (listed by its published title; the page is headed by its draft's, `heading`, if that differs)."""
    page.get_by_role("banner").get_by_role("link", name="Your deliverables").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your deliverables")
    page.get_by_role("table").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading or title)


def tick_every_personal_data_check(page: Page) -> int:
    checks = page.get_by_role("group", name="Personal data checked").get_by_role("checkbox")
    for index in range(checks.count()):
        checks.nth(index).check()
    return checks.count()


def upload(page: Page, path: Path) -> None:
    page.get_by_label("Upload a Markdown file").set_input_files(path)
    page.get_by_role("button", name="Upload and fill in the form").click()


@dataclass(frozen=True)
class Story:
    """One deliverable's journey; each mode has its own, so they do not meet in one database."""

    slug: str
    organisation: str
    word: str  # a word only its second revision has, for the search

    @property
    def title(self) -> str:
        return f"Business plan for {self.organisation}"


STORIES = {
    DESKTOP_JS: Story("knowsley-youth-plan", "Knowsley Youth Services", "quillwort"),
    DESKTOP_NOJS: Story("halton-youth-plan", "Halton Youth Services", "marramgrass"),
}
BODY = "# Executive summary\n\nStaff will transfer under TUPE and keep their pensions.\n"


@pytest.mark.parametrize("mode", list(STORIES), ids=str)
def test_an_advisor_and_editors_take_a_deliverable_from_a_file_to_withdrawal(
    mode, page, new_tab, live_server, screenshot, tmp_path
):
    story = STORIES[mode]
    name = str(mode)
    advisor = page
    sign_in(advisor, make_account(live_server, f"advisor-{name}@mv.example", Role.ADVISOR))

    # 1. The advisor uploads a file with an unknown sector, fixes it, saves, previews, submits.
    advisor.get_by_role("button", name="New deliverable").click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text("New deliverable")
    expect(advisor.get_by_label("Provider")).to_have_value("Mutual Ventures")  # their own firm
    file = tmp_path / f"{story.slug}.md"
    file.write_text(
        deliverable_text(BODY, title=story.title, organisation=story.organisation, sector=["moon-base"]),
        encoding="utf-8",
    )
    upload(advisor, file)
    summary = advisor.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the sectors from the list: 'moon-base' is not one of them")
    link = summary.get_by_role("link", name=re.compile("moon-base"))
    expect(link).to_have_attribute("href", "#sector")
    expect(advisor.locator("#sector-error")).to_contain_text(
        "Choose the sectors from the list: 'moon-base' is not one of them"
    )
    expect(advisor.get_by_label("Title", exact=True)).to_have_value(story.title)  # the file's values
    screenshot(advisor, "publish-form-errors")
    # A long label ("Company limited by guarantee") stays whole in the two columns of boxes.
    split = advisor.locator(".app-checkboxes--columns .govuk-checkboxes__item").evaluate_all(
        "items => items.filter(item => item.getClientRects().length > 1).map(item => item.innerText)"
    )
    assert split == [], f"split across columns: {split}"
    link.click()
    sectors = advisor.get_by_role("group", name=re.compile("^Sector"))
    expect(sectors.get_by_role("checkbox").first).to_be_in_viewport()
    if mode.javascript:
        expect(advisor.locator("#sector")).to_be_focused()  # GOV.UK Frontend's error summary
    sectors.get_by_label("Youth services").check()
    advisor.get_by_role("button", name="Save", exact=True).click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text(story.title)
    expect(flash(advisor)).to_contain_text("Saved as revision 1.")

    advisor.get_by_role("link", name="Preview the latest revision").click()
    expect(advisor.locator(".app-preview")).to_contain_text("Preview")
    expect(advisor.locator("article")).to_contain_text("Staff will transfer under TUPE")
    screenshot(advisor, "publish-preview")
    advisor.go_back()
    expect(advisor.get_by_role("heading", level=1)).to_have_text(story.title)
    reader = new_tab(mode)
    assert reader.goto(f"/deliverables/{story.slug}").status == 404  # not public yet
    advisor.get_by_role("button", name="Submit for review").click()
    expect(flash(advisor)).to_contain_text("Submitted for review")
    expect(advisor.get_by_role("button", name="Submit for review")).to_have_count(0)
    expect(advisor.get_by_role("button", name=re.compile("^Publish"))).to_have_count(0)

    # 2. An editor (setting up two-factor sign-in on the way, without JavaScript) asks for a change.
    editor = new_tab(mode)
    sign_in(
        editor,
        make_account(live_server, f"editor-{name}@kb.example", Role.EDITOR, two_factor=mode.javascript),
    )
    waiting = editor.get_by_role("heading", name="Waiting for review").locator(
        "xpath=following-sibling::ul[1]"
    )
    waiting.get_by_role("link", name=story.title).click()
    expect(editor.get_by_role("heading", level=1)).to_have_text(story.title)
    comment = "Say which pension scheme staff stay in."
    editor.get_by_label("Or request changes").fill(comment)
    editor.get_by_role("button", name="Request changes").click()
    expect(flash(editor)).to_contain_text("Changes requested.")

    open_from_list(advisor, story.title)
    expect(advisor.locator(".app-comment")).to_contain_text(comment)
    advisor.get_by_role("link", name="Edit", exact=True).click()
    body = advisor.get_by_label("The advice", exact=True)
    expect(body).to_have_value(re.compile("Staff will transfer under TUPE"))
    body.fill(
        "# Executive summary\n\n"
        f"Staff keep their LGPS pensions; the {story.word} group agreed the transfer.\n\n"
        "Ring Jane Smith on 07700 900123 about the transfer.\n"
    )
    advisor.get_by_label("What changed (optional)").fill("Pensions: which scheme")
    advisor.get_by_role("button", name="Save", exact=True).click()
    expect(flash(advisor)).to_contain_text("Saved as revision 2.")
    advisor.get_by_role("button", name="Submit for review").click()
    expect(flash(advisor)).to_contain_text("Submitted for review")

    # The editor reviews again: the phone number is flagged, they tick it, and publish.
    open_from_list(editor, story.title)
    expect(editor.get_by_text("Possible personal data (1)")).to_be_visible()
    screenshot(editor, "publish-review")
    assert tick_every_personal_data_check(editor) == 1
    editor.get_by_role("button", name="Publish revision 2").click()
    expect(flash(editor)).to_contain_text("Published. Search is up to date.")

    # 3. A reader's search from the home page finds it.
    search_from_home(reader, story.word)
    assert result_urls(reader) == [f"/deliverables/{story.slug}"]
    reader.get_by_role("main").get_by_role("link", name=story.title).first.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(story.title)
    expect(reader.locator("article")).to_contain_text(f"the {story.word} group")

    # 4. A new edit stays off the public page until an editor publishes it.
    new_title = f"Five-year business plan for {story.organisation}"
    open_from_list(advisor, story.title)
    advisor.get_by_role("link", name="Edit", exact=True).click()
    expect(advisor.get_by_text("The public keeps seeing the published version")).to_be_visible()
    advisor.get_by_label("Title", exact=True).fill(new_title)
    advisor.get_by_role("button", name="Save", exact=True).click()
    expect(flash(advisor)).to_contain_text("Saved as revision 3.")
    advisor.get_by_role("button", name="Submit for review").click()
    expect(flash(advisor)).to_contain_text("Submitted for review")
    reader.reload()
    expect(reader.get_by_role("heading", level=1)).to_have_text(story.title)

    # The list keeps the published title; the review page heads with the draft's and says so.
    open_from_list(editor, story.title, heading=new_title)
    expect(editor.get_by_text(f"The public page is still titled “{story.title}”")).to_be_visible()
    diff = editor.get_by_role("region", name="Changes since the published version")
    expect(diff.locator(".app-diff__line--removed")).to_contain_text(f"title: {story.title}")
    expect(diff.locator(".app-diff__line--added")).to_contain_text(f"title: {new_title}")
    tick_every_personal_data_check(editor)
    editor.get_by_role("button", name="Publish revision 3").click()
    expect(flash(editor)).to_contain_text("Published.")
    reader.reload()
    expect(reader.get_by_role("heading", level=1)).to_have_text(new_title)

    # 5. The editor withdraws it with a reason: the page says so, and it leaves search.
    reason = "Replaced by the trust's 2016 business plan."
    editor.get_by_text("Withdraw it").click()
    editor.get_by_label("Why, for readers").fill(reason)
    editor.get_by_role("button", name="Withdraw").click()
    expect(flash(editor)).to_contain_text("Withdrawn.")
    reader.reload()
    expect(reader.locator(".app-withdrawn")).to_contain_text(reason)
    screenshot(reader, "publish-withdrawn")
    search_from_home(reader, story.word)
    assert result_urls(reader) == []

    # 6. The history compares the first revision with the last.
    editor.get_by_role("link", name="History: every revision").click()
    rows = editor.locator("tbody tr")
    expect(rows).to_have_count(3)
    rows.filter(has=editor.locator("td:first-child", has_text=re.compile(r"^\s*1\b"))).get_by_label(
        "from"
    ).check()
    editor.get_by_role("button", name="Compare the two revisions").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Revision 1 compared with revision 3")
    expect(
        editor.locator(".app-diff__line--removed", has_text="Staff will transfer under TUPE")
    ).to_have_count(1)
    expect(editor.locator(".app-diff__line--added", has_text=story.word)).to_have_count(1)
    expect(editor.locator(".app-diff__line--added", has_text=f"title: {new_title}")).to_have_count(1)
    screenshot(editor, "publish-diff")


def draft_with_a_fix(page: Page, folder: Path, slug: str, title: str, body: str = BODY) -> None:
    """Signed in: a new deliverable from a file with an unknown sector, the sector ticked, saved."""
    page.get_by_role("button", name="New deliverable").click()
    file = folder / f"{slug}.md"
    file.write_text(deliverable_text(body, title=title, sector=["moon-base"]), encoding="utf-8")
    upload(page, file)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose the sectors from the list: 'moon-base' is not one of them"
    )


def save_with_youth_services(page: Page) -> None:
    page.get_by_role("group", name=re.compile("^Sector")).get_by_label("Youth services").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(flash(page)).to_contain_text("Saved as revision")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_the_publishing_pages_keep_to_the_policy(csp_page, live_server, tmp_path):
    page = csp_page.page
    title = "Business plan for a policy-abiding mutual"
    sign_in(page, make_account(live_server, "csp-advisor@mv.example", Role.ADVISOR))
    draft_with_a_fix(page, tmp_path, "csp-plan", title)
    save_with_youth_services(page)
    page.get_by_role("link", name="Preview the latest revision").click()
    page.go_back()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("link", name="History: every revision").click()
    page.get_by_role("button", name="Compare the two revisions").click()
    expect(page.get_by_text("The two revisions say the same thing.")).to_be_visible()
    sign_out(page)
    sign_in(page, make_account(live_server, "csp-editor@kb.example", Role.EDITOR, two_factor=False))
    open_from_list(page, title)
    page.get_by_role("button", name="Publish revision 1").click()
    expect(flash(page)).to_contain_text("Published.")
    page.get_by_text("Withdraw it").click()
    page.get_by_role("button", name="Withdraw").click()  # no reason: the error summary
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_role("link", name="The public page").click()
    csp_page.assert_no_violations()
    # The pages that show errors answer 400, which chromium logs; anything else is a script error.
    assert [e for e in csp_page.errors if "status of 400" not in e] == []


@pytest.mark.parametrize("mode", [DESKTOP_JS], ids=str)
def test_the_sign_in_form_and_review_pages_pass_axe(axe_page, live_server, screenshot, tmp_path):
    page = axe_page
    page.goto("/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()  # nothing typed: errors on both fields
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "publish-sign-in-errors")

    title = "Business plan for an accessible mutual"
    sign_in(page, make_account(live_server, "axe-advisor@mv.example", Role.ADVISOR))
    assert_accessible(page)  # your deliverables
    draft_with_a_fix(
        page, tmp_path, "axe-plan", title, body=BODY + "\nRing Jane Smith on 07700 900123 about it.\n"
    )
    assert_accessible(page)  # the form, with the error summary and the sector's error
    save_with_youth_services(page)
    page.get_by_role("button", name="Submit for review").click()
    sign_out(page)

    sign_in(page, make_account(live_server, "axe-editor@kb.example", Role.EDITOR))
    open_from_list(page, title)
    expect(page.get_by_text("Possible personal data (1)")).to_be_visible()
    assert_accessible(page)  # the review page, with its personal-data tick and the moves
    page.get_by_role("button", name="Publish revision 1").click()  # not ticked: an error
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "publish-review-errors")
    page.get_by_role("link", name="History: every revision").click()
    assert_accessible(page)
