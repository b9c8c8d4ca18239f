"""The publishing workflow in the model layer: every transition allowed and refused, every role
boundary, revisions, edit conflicts, and files and the site keeping one record. On SQLite and
PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from knowledgebase import accounts, publishing
from knowledgebase.catalogue import backend
from knowledgebase.db import get_database
from knowledgebase.ingest import SKIPPED, sync
from knowledgebase.models import AuditEvent, Deliverable, DraftState, Revision, Role, Status
from knowledgebase.search import SearchRequest
from knowledgebase.vocab import load_vocabularies

from .conftest import VOCABULARIES, backend_of, deliverable_text, ingest_into, make_app

VOCABS = load_vocabularies(VOCABULARIES)
TEXT = deliverable_text(title="Youth service business plan", slug="youth-plan")


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    with get_database(app).session() as session:
        for email, role, providers in (
            ("advisor@mv.example", Role.ADVISOR, ["Mutual Ventures"]),
            ("other@bax.example", Role.ADVISOR, ["Baxendale"]),
            ("editor@kb.example", Role.EDITOR, []),
            ("second@kb.example", Role.EDITOR, []),
            ("admin@kb.example", Role.ADMIN, []),
        ):
            accounts.create_user(session, email, role=role, providers=providers)
    yield app
    backend_of(app).close()
    get_database(app).dispose()


@pytest.fixture
def db(app):
    """A session and a way to name users: db.session, db.user('editor')."""
    session = get_database(app).sessions()

    class Handle:
        def user(self, name):
            return session.scalar(select(accounts.User).where(accounts.User.email.like(f"{name}@%")))

        def row(self, slug="youth-plan"):
            return session.scalar(select(Deliverable).where(Deliverable.slug == slug))

    handle = Handle()
    handle.session = session
    yield handle
    session.close()


def _draft(db, text=TEXT, by="advisor"):
    row, revision, created = publishing.save(db.session, db.user(by), text, vocabularies=VOCABS)
    db.session.commit()
    return row


def _submitted(db, by="advisor"):
    row = _draft(db, by=by)
    publishing.submit(db.session, db.user(by), row)
    db.session.commit()
    return row


def _published(db, by="advisor", editor="editor"):
    row = _submitted(db, by=by)
    publishing.publish(db.session, db.user(editor), row, reviewed=1, vocabularies=VOCABS)
    db.session.commit()
    return row


def _searchable(app, text: str) -> list[str]:
    with app.app_context():
        return [hit.slug for hit in backend().search(SearchRequest(q=text)).hits]


def test_an_advisors_draft_goes_through_review_to_the_public(app, db):
    row = _draft(db)
    assert (row.status, row.draft_state, row.first_published_at is not None) == (Status.DRAFT, "draft", True)
    client = app.test_client()
    for url in ("/deliverables/youth-plan", "/deliverables/youth-plan.md", "/api/deliverables/youth-plan"):
        assert client.get(url).status_code == 404, url  # not 410: that would say it exists

    publishing.submit(db.session, db.user("advisor"), row)
    publishing.request_changes(db.session, db.user("editor"), row, "Say which pension scheme.")
    db.session.commit()
    assert row.draft_state == DraftState.CHANGES_REQUESTED
    assert [c.body for c in publishing.comments(db.session, row)] == ["Say which pension scheme."]

    fixed = TEXT.replace("keep their pensions", "keep their LGPS pensions")
    _, revision, created = publishing.save(
        db.session,
        db.user("advisor"),
        fixed,
        vocabularies=VOCABS,
        row=row,
        based_on=1,
        change_note="Pensions",
    )
    assert (created, revision.number, row.draft_state) == (True, 2, DraftState.DRAFT)
    publishing.submit(db.session, db.user("advisor"), row)
    published = publishing.publish(db.session, db.user("editor"), row, reviewed=2, vocabularies=VOCABS)
    db.session.commit()
    assert published.number == 2 and published.published_at is not None
    assert (row.status, row.draft_state) == (Status.PUBLISHED, None)
    assert row.first_published_at == published.published_at
    assert "LGPS" in row.body_text

    with app.app_context():
        sync(
            database=get_database(),
            backend=backend(),
            vocabularies=VOCABS,
            lock_path=app.config["INGEST_LOCK"],
        )
    assert _searchable(app, "LGPS") == ["youth-plan"]
    assert client.get("/deliverables/youth-plan").status_code == 200
    assert client.get("/deliverables/youth-plan.md").get_data(as_text=True) == fixed

    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a not in ("user_created",)] == [
        "create",
        "submit",
        "request_changes",
        "save",
        "submit",
        "publish",
    ]


def test_editing_a_published_deliverable_keeps_the_public_version_until_approved(app, db):
    row = _published(db)
    new = TEXT.replace("Youth service business plan", "Youth service business plan, revised")
    publishing.save(db.session, db.user("advisor"), new, vocabularies=VOCABS, row=row, based_on=1)
    db.session.commit()
    assert (row.status, row.draft_state, row.title) == (
        Status.PUBLISHED,
        "draft",
        "Youth service business plan",
    )
    assert publishing.published_revision(db.session, row).number == 1
    publishing.submit(db.session, db.user("advisor"), row)
    publishing.publish(db.session, db.user("second"), row, reviewed=2, vocabularies=VOCABS)
    db.session.commit()
    assert row.title == "Youth service business plan, revised"
    assert [r.number for r in publishing.revisions(db.session, row)] == [2, 1]


def test_an_editor_cannot_publish_a_draft_they_wrote_any_of(db):
    row = _submitted(db, by="editor")
    with pytest.raises(publishing.Refused, match="another editor"):
        publishing.publish(db.session, db.user("editor"), row, reviewed=1, vocabularies=VOCABS)
    publishing.publish(db.session, db.user("second"), row, reviewed=1, vocabularies=VOCABS)
    # An editor who edited someone else's draft is an author of it too.
    row = _draft(db, TEXT.replace("youth-plan", "other-plan"))
    text = publishing.latest_revision(db.session, row).markdown + "\nOne more line.\n"
    publishing.save(db.session, db.user("second"), text, vocabularies=VOCABS, row=row, based_on=1)
    publishing.submit(db.session, db.user("advisor"), row)
    assert publishing.draft_authors(db.session, row) == {db.user("advisor").id, db.user("second").id}
    with pytest.raises(publishing.Refused, match="another editor"):
        publishing.publish(db.session, db.user("second"), row, reviewed=2, vocabularies=VOCABS)


@pytest.mark.parametrize(
    ("who", "move"),
    [
        ("advisor", "publish"),
        ("advisor", "request_changes"),
        ("advisor", "withdraw"),
        ("advisor", "unpublish"),
        ("advisor", "restore"),
        ("editor", "unpublish"),
    ],
)
def test_roles_below_a_move_are_refused(db, who, move):
    row = _published(db) if move in ("withdraw", "unpublish", "restore") else _submitted(db)
    with pytest.raises(publishing.Refused, match="only .* may do this"):
        publishing.check(db.user(who), row, move)


def test_an_advisor_cannot_see_or_touch_another_providers_deliverable(db):
    row = _submitted(db)
    other = db.user("other")
    with pytest.raises(publishing.NotVisible):
        publishing.find(db.session, other, "youth-plan")
    for move in publishing.TRANSITIONS:
        with pytest.raises(publishing.NotVisible):
            publishing.check(other, row, move)
    with pytest.raises(publishing.NotVisible):
        publishing.save(db.session, other, TEXT, vocabularies=VOCABS, row=row, based_on=1)
    assert publishing.visible(db.session, other) == []
    assert publishing.visible(db.session, db.user("advisor")) == [row]
    assert publishing.visible(db.session, db.user("editor")) == [row]


def test_an_advisor_must_keep_one_of_their_providers_on_it(db):
    with pytest.raises(publishing.Invalid) as caught:
        publishing.save(
            db.session, db.user("advisor"), deliverable_text(provider=["Baxendale"]), vocabularies=VOCABS
        )
    assert [error.key for error in caught.value.errors] == ["provider"]


# Every (status, draft state) pair a deliverable can be in, and what each move does there.
STATES = [
    (Status.DRAFT, DraftState.DRAFT),
    (Status.DRAFT, DraftState.SUBMITTED),
    (Status.DRAFT, DraftState.CHANGES_REQUESTED),
    (Status.PUBLISHED, None),
    (Status.PUBLISHED, DraftState.DRAFT),
    (Status.PUBLISHED, DraftState.SUBMITTED),
    (Status.PUBLISHED, DraftState.CHANGES_REQUESTED),
    (Status.WITHDRAWN, None),
    (Status.UNPUBLISHED, None),
]
ALLOWED = {
    "save": {s for s in STATES if s[0] in (Status.DRAFT, Status.PUBLISHED)},
    "restore": {s for s in STATES if s[0] in (Status.DRAFT, Status.PUBLISHED)},
    "submit": {(Status.DRAFT, DraftState.DRAFT), (Status.PUBLISHED, DraftState.DRAFT)},
    "request_changes": {(Status.DRAFT, DraftState.SUBMITTED), (Status.PUBLISHED, DraftState.SUBMITTED)},
    "publish": {(Status.DRAFT, DraftState.SUBMITTED), (Status.PUBLISHED, DraftState.SUBMITTED)},
    "withdraw": {s for s in STATES if s[0] in (Status.PUBLISHED, Status.WITHDRAWN)},
    "unpublish": {s for s in STATES if s[0] in (Status.PUBLISHED, Status.WITHDRAWN)},
}


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"{s[0]}+{s[1]}")
@pytest.mark.parametrize("move", sorted(ALLOWED))
def test_every_move_from_every_state(db, state, move):
    row = _draft(db)
    row.status, row.draft_state = state
    if state[1] is None:
        row.draft_state = None
    allowed = state in ALLOWED[move]
    admin = db.user("admin")
    if allowed:
        assert publishing.check(admin, row, move).name == move
    else:
        with pytest.raises(publishing.Refused, match="is not possible now: the deliverable is"):
            publishing.check(admin, row, move)
    assert (move in [t.name for t in publishing.available(admin, row)]) is allowed


def test_a_second_save_from_the_same_revision_is_a_conflict_not_a_loss(db):
    row = _draft(db)
    mine = TEXT + "\nMy paragraph.\n"
    theirs = TEXT + "\nTheir paragraph.\n"
    publishing.save(db.session, db.user("advisor"), mine, vocabularies=VOCABS, row=row, based_on=1)
    with pytest.raises(publishing.EditConflict) as caught:
        publishing.save(db.session, db.user("editor"), theirs, vocabularies=VOCABS, row=row, based_on=1)
    assert caught.value.latest.number == 2
    assert publishing.latest_revision(db.session, row).markdown == mine
    # Publishing a revision other than the latest is a conflict too.
    publishing.submit(db.session, db.user("advisor"), row)
    with pytest.raises(publishing.EditConflict):
        publishing.publish(db.session, db.user("editor"), row, reviewed=1, vocabularies=VOCABS)


def test_saving_the_same_text_again_makes_no_revision(db):
    row = _draft(db)
    _, revision, created = publishing.save(
        db.session, db.user("advisor"), TEXT.replace("\n", "\r\n"), vocabularies=VOCABS, row=row, based_on=1
    )
    assert (created, revision.number) == (False, 1)


def test_invalid_text_is_refused_with_kb_checks_errors_by_key(db):
    with pytest.raises(publishing.Invalid) as caught:
        publishing.save(
            db.session, db.user("advisor"), deliverable_text(sector=["moon-base"]), vocabularies=VOCABS
        )
    assert [error.key for error in caught.value.errors] == ["sector"]
    row = _draft(db)
    with pytest.raises(publishing.Invalid) as caught:
        publishing.save(
            db.session,
            db.user("advisor"),
            TEXT.replace("youth-plan", "new-slug"),
            vocabularies=VOCABS,
            row=row,
            based_on=1,
        )
    assert [error.key for error in caught.value.errors] == ["slug"]
    with pytest.raises(publishing.Invalid, match="1 problem"):
        publishing.save(db.session, db.user("editor"), TEXT, vocabularies=VOCABS)  # the slug is taken


def test_a_new_deliverable_without_a_slug_gets_one_from_its_title(db):
    row, _, _ = publishing.save(db.session, db.user("advisor"), deliverable_text(), vocabularies=VOCABS)
    assert row.slug == "business-plan-for-a-staff-led-youth-services-mutual"


def test_withdraw_and_unpublish(app, db):
    row = _published(db)
    with pytest.raises(publishing.Refused, match="needs a reason"):
        publishing.withdraw(db.session, db.user("editor"), row, "  ")
    publishing.withdraw(db.session, db.user("editor"), row, "Superseded by the 2015 plan.")
    db.session.commit()
    assert (row.status, row.withdrawn_reason) == (Status.WITHDRAWN, "Superseded by the 2015 plan.")
    client = app.test_client()
    assert "Superseded by the 2015 plan." in client.get("/deliverables/youth-plan").get_data(as_text=True)

    with pytest.raises(publishing.Refused, match="give a reason"):
        publishing.unpublish(db.session, db.user("admin"), row)
    with pytest.raises(publishing.Refused, match="not another published deliverable"):
        publishing.unpublish(db.session, db.user("admin"), row, replaced_by="youth-plan")
    publishing.unpublish(db.session, db.user("admin"), row, reason="Published in error: a draft.")
    db.session.commit()
    page = client.get("/deliverables/youth-plan")
    assert page.status_code == 410 and "Published in error: a draft." in page.get_data(as_text=True)
    answer = client.get("/api/deliverables/youth-plan")
    assert answer.status_code == 410 and answer.json["error"]["replaced_by"] is None


def test_unpublished_with_a_replacement_redirects_there(app, db):
    row = _published(db)
    other = _draft(db, TEXT.replace("youth-plan", "better-plan"))
    publishing.submit(db.session, db.user("advisor"), other)
    publishing.publish(db.session, db.user("editor"), other, reviewed=1, vocabularies=VOCABS)
    publishing.unpublish(db.session, db.user("admin"), row, replaced_by="better-plan")
    db.session.commit()
    client = app.test_client()
    response = client.get("/deliverables/youth-plan")
    assert (response.status_code, response.location) == (301, "/deliverables/better-plan")
    assert (
        client.get("/api/deliverables/youth-plan").json["error"]["replaced_by"] == "/deliverables/better-plan"
    )


def test_restoring_an_old_revision_makes_a_new_draft(db):
    row = _published(db)
    publishing.save(
        db.session, db.user("advisor"), TEXT + "\nWrong.\n", vocabularies=VOCABS, row=row, based_on=1
    )
    new = publishing.restore(db.session, db.user("editor"), row, 1, based_on=2, vocabularies=VOCABS)
    assert (new.number, new.origin, new.markdown, new.change_note) == (
        3,
        "restore",
        TEXT,
        "Restored revision 1",
    )
    with pytest.raises(publishing.Refused, match="no revision 9"):
        publishing.restore(db.session, db.user("editor"), row, 9, based_on=3, vocabularies=VOCABS)


def test_public_history_lists_published_revisions_with_public_notes(db):
    row = _published(db)
    for number, (note, public) in enumerate(
        (("Typo", False), ("Pensions figures updated for 2015", True)), 2
    ):
        text = TEXT + f"\nChange {number}.\n"
        publishing.save(
            db.session,
            db.user("advisor"),
            text,
            vocabularies=VOCABS,
            row=row,
            based_on=number - 1,
            change_note=note,
            public_note=public,
        )
        publishing.submit(db.session, db.user("advisor"), row)
        publishing.publish(db.session, db.user("editor"), row, reviewed=number, vocabularies=VOCABS)
    assert [entry.note for entry in publishing.public_history(db.session, row)] == [
        "Pensions figures updated for 2015"
    ]


# Files and the site: one record ------------------------------------------------------------------


def test_ingest_records_file_changes_as_published_revisions_by_the_system(app, db, write):
    path = write("plan.md", slug="youth-plan")
    ingest_into(app, write.folder)
    ingest_into(app, write.folder)  # unchanged: no revision
    row = db.row()
    (first,) = publishing.revisions(db.session, row)
    assert (first.origin, first.author.role, first.published_at is not None) == ("file", Role.SYSTEM, True)
    path.write_text(path.read_text() + "\nA new section.\n")
    assert ingest_into(app, write.folder).count("updated") == 1
    db.session.expire_all()
    assert [r.number for r in publishing.revisions(db.session, row)] == [2, 1]


def test_a_file_never_overwrites_a_web_edit_unless_forced(app, db, write):
    path = write("plan.md", slug="youth-plan")
    ingest_into(app, write.folder)
    row = db.row()
    web = publishing.latest_revision(db.session, row).markdown + "\nEdited on the site.\n"
    publishing.save(db.session, db.user("editor"), web, vocabularies=VOCABS, row=row, based_on=1)
    db.session.commit()
    path.write_text(path.read_text() + "\nEdited in the file.\n")
    report = ingest_into(app, write.folder)
    assert [o.action for o in report.outcomes] == [SKIPPED] and report.ok
    assert "1 skipped (edited on the web)" in report.summary()
    db.session.expire_all()
    assert publishing.latest_revision(db.session, row).markdown == web

    with app.app_context():
        from knowledgebase.ingest import ingest

        forced = ingest(
            [write.folder],
            database=get_database(),
            backend=backend(),
            vocabularies=VOCABS,
            lock_path=app.config["INGEST_LOCK"],
            force=True,
        )
    assert forced.count("updated") == 1
    db.session.expire_all()
    assert (row.draft_state, "Edited in the file." in row.markdown) == (None, True)
    assert [r.origin for r in publishing.revisions(db.session, row)] == ["file", "web", "file"]


def test_a_file_cannot_take_the_slug_of_a_deliverable_made_on_the_site(app, db, write):
    _published(db)
    write("plan.md", slug="youth-plan")
    report = ingest_into(app, write.folder)
    assert "already the slug of a deliverable made on the site" in str(report.rejected[0].errors[0])


def test_a_moved_file_keeps_its_deliverable(app, db, write):
    path = write("plan.md", slug="youth-plan")
    ingest_into(app, write.folder)
    moved = path.with_name("renamed.md")
    os.rename(path, moved)
    moved.write_text(moved.read_text() + "\nMoved and changed.\n")
    assert ingest_into(app, write.folder).count("updated") == 1


def test_ingest_never_republishes_a_withdrawn_deliverable(app, db, write):
    path = write("plan.md", slug="youth-plan")
    ingest_into(app, write.folder)
    result = app.test_cli_runner().invoke(args=["withdraw", "youth-plan", "--reason", "Out of date."])
    assert result.exit_code == 0, result.output
    path.write_text(path.read_text() + "\nChanged.\n")
    ingest_into(app, write.folder)
    db.session.expire_all()
    assert db.row().status == Status.WITHDRAWN
    assert _searchable(app, "changed") == []
    assert db.session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "withdraw")) == (
        accounts.system_user(db.session).email
    )


def test_kb_withdraw_refuses_a_draft(app, db):
    _draft(db)
    result = app.test_cli_runner().invoke(args=["withdraw", "youth-plan", "--reason", "No."])
    assert result.exit_code == 1 and "not possible now" in result.output
    assert db.session.scalar(select(Revision.number)) == 1


def test_ingest_records_each_change_in_the_audit_log(app, db, write):
    path = write("plan.md", slug="youth-plan")
    ingest_into(app, write.folder)
    ingest_into(app, write.folder)  # unchanged: nothing recorded
    path.write_text(path.read_text() + "\nMore.\n")
    ingest_into(app, write.folder)
    details = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "ingest")).all()
    assert [detail.split(" from ")[0] for detail in details] == ["added", "updated"]
