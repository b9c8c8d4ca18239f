"""Advisors' and editors' pages, under /publish/ (behind sign-in; see `auth`).

Thin views: `drafts` translates the form, `publishing` decides (states, moves, who may see and do
what) and records; views never touch the search engine, except through
`catalogue.bring_index_up_to_date` after a publish, withdrawal or unpublishing.

- `/publish/` the deliverables a person works on, and (editors) the drafts waiting for review
- `/publish/new`, `/publish/<slug>/edit` the form, or a `.md` file uploaded into it
- `/publish/<slug>` its state, validation, personal-data warnings, the diff against the published
  version, comments, and the moves the person may make now
- `/publish/<slug>/preview` the latest revision exactly as the public page will show it
- `/publish/<slug>/history` every revision; `/publish/<slug>/diff` any two compared

Someone who may not see a deliverable gets 404 for all of these, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from .. import catalogue, personal_data, publishing
from ..content import parse_text
from ..db import get_session
from ..diffs import TooLong, line_diff
from ..models import Deliverable, DraftState, Role, utcnow
from . import drafts, presenters
from .auth import account, client_address, record_number, signed_in_as

pages = Blueprint("publish", __name__)


@pages.get("/")
@signed_in_as(Role.ADVISOR)
def index():
    user = account()
    rows = publishing.visible(get_session(), user)
    waiting = (
        [row for row in rows if row.draft_state == DraftState.SUBMITTED] if user.at_least(Role.EDITOR) else []
    )
    return render_template(
        "publish/index.html",
        user=user,
        rows=rows,
        waiting=waiting,
        status_labels=publishing.STATUS_LABELS,
        draft_labels=publishing.DRAFT_LABELS,
    )


# The form -----------------------------------------------------------------------------------------


def _deliverable(slug: str) -> Deliverable:
    try:
        return publishing.find(get_session(), account(), slug)
    except publishing.NotVisible:
        abort(404)


def _form(row: Deliverable | None, values: dict, errors: dict, *, based_on=None, notice=None, status=None):
    vocabs = catalogue.vocabularies()
    return render_template(
        "publish/form.html",
        row=row,
        values=values,
        errors=errors,
        based_on=based_on,
        notice=notice,
        inputs=drafts.form_fields(vocabs, new=row is None),
    ), (status or (400 if errors else 200))


@pages.get("/new")
@signed_in_as(Role.ADVISOR)
def new():
    return _form(None, drafts.blank_values(account().providers), {})


@pages.get("/<slug>/edit")
@signed_in_as(Role.ADVISOR)
def edit(slug):
    row = _deliverable(slug)
    try:
        publishing.check(account(), row, "save")
    except publishing.Refused as refused:
        return _manage(row, {"save": _sentence(str(refused))}, 409)
    latest = publishing.latest_revision(get_session(), row)
    values = drafts.values_from_text(latest.markdown if latest else row.markdown, catalogue.vocabularies())
    return _form(row, values, {}, based_on=latest.number if latest else None)


@pages.post("/new")
@signed_in_as(Role.ADVISOR)
def create():
    return _save(None)


@pages.post("/<slug>/edit")
@signed_in_as(Role.ADVISOR)
def update(slug):
    return _save(_deliverable(slug))


def _save(row: Deliverable | None):
    values = drafts.values_from_form(request.form)
    # Every revision's source names its slug, so comparing revisions never shows it come and go.
    if row is not None:
        values["slug"] = row.slug
    elif not values["slug"].strip() and values["title"].strip():
        values["slug"] = publishing.slugify(values["title"])
    based_on = record_number(request.form.get("based_on"))
    db = get_session()
    try:
        row, revision, created = publishing.save(
            db,
            account(),
            drafts.text_from_values(values),
            vocabularies=catalogue.vocabularies(),
            row=row,
            based_on=based_on,
            change_note=values[drafts.CHANGE_NOTE],
            public_note=values["public_note"],
            address=client_address(),
        )
    except publishing.EditConflict as conflict:
        db.rollback()
        return render_template(
            "publish/conflict.html",
            row=row,
            latest=conflict.latest,
            mine=drafts.text_from_values(values),
            hunks=_compare(conflict.latest.markdown, drafts.text_from_values(values)),
        ), 409
    except publishing.Invalid as invalid:
        db.rollback()
        return _form(row, values, drafts.errors_by_field(invalid.errors), based_on=based_on)
    except publishing.Refused as refused:
        db.rollback()
        return _form(row, values, {drafts.UPLOAD: str(refused)}, based_on=based_on)
    db.commit()
    flash(
        f"Saved as revision {revision.number}." if created else "Nothing had changed, so nothing was saved."
    )
    return redirect(url_for("publish.manage", slug=row.slug))


@pages.post("/new/upload")
@signed_in_as(Role.ADVISOR)
def upload_new():
    return _upload(None)


@pages.post("/<slug>/upload")
@signed_in_as(Role.ADVISOR)
def upload(slug):
    return _upload(_deliverable(slug))


def _upload(row: Deliverable | None):
    """A `.md` file in the contract's format fills the form (nothing is saved until the person
    saves), with `kb check`'s errors on the fields to fix."""
    based_on = record_number(request.form.get("based_on"))
    current = drafts.blank_values(account().providers) if row is None else None
    file = request.files.get(drafts.UPLOAD)
    if file is None or not file.filename:
        values = current or drafts.values_from_form(request.form)
        return _form(row, values, {drafts.UPLOAD: "Choose a Markdown file to upload"}, based_on=based_on)
    raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        values = current or drafts.values_from_form(request.form)
        return _form(
            row, values, {drafts.UPLOAD: "The file must be Markdown text saved as UTF-8"}, based_on=based_on
        )
    vocabs = catalogue.vocabularies()
    values = drafts.values_from_text(text, vocabs)
    stem = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].removesuffix(".md")
    if row is None and not values.get("slug") and publishing.slugify(stem) == stem:
        values["slug"] = stem  # as for files: the slug defaults to the file's name
    result = parse_text(
        text, publishing.SHOWN, vocabs, default_slug=row.slug if row else (values.get("slug") or "x")
    )
    errors = drafts.errors_by_field([e for e in result.errors if row is None or e.key != "slug"])
    notice = f"{file.filename} filled in the form. Check it, then save." + (
        " Fix the problems first." if errors else ""
    )
    return _form(row, values, errors, based_on=based_on, notice=notice, status=400 if errors else 200)


# One deliverable ------------------------------------------------------------------------------------


@pages.get("/<slug>")
@signed_in_as(Role.ADVISOR)
def manage(slug):
    return _manage(_deliverable(slug), {})


def _manage(row: Deliverable, errors: dict, status: int = 200):
    db = get_session()
    user = account()
    latest = publishing.latest_revision(db, row)
    published = publishing.published_revision(db, row)
    text = latest.markdown if latest else row.markdown
    result = parse_text(text, publishing.SHOWN, catalogue.vocabularies(), default_slug=row.slug)
    moves = {t.name: t for t in publishing.available(user, row)}
    draft_title = result.deliverable.title if result.ok else row.title
    self_authored = user.id in publishing.draft_authors(db, row)
    return render_template(
        "publish/manage.html",
        row=row,
        draft_title=draft_title,
        latest=latest,
        published=published,
        problems=result.errors,
        findings=publishing.personal_data_findings(db, row) if row.draft_state else [],
        public_notes=[r for r in publishing.draft_revisions(db, row) if r.public_note]
        if row.draft_state
        else [],
        hunks=_compare(published.markdown, text)
        if published and latest and published.id != latest.id
        else [],
        comments=publishing.comments(db, row),
        moves=moves,
        self_authored=self_authored,
        errors=errors,
        status_labels=publishing.STATUS_LABELS,
        draft_labels=publishing.DRAFT_LABELS,
        kinds=personal_data.KINDS,
    ), status


@pages.get("/<slug>/preview")
@signed_in_as(Role.ADVISOR)
def preview(slug):
    """The latest revision rendered by the public page's own template."""
    row = _deliverable(slug)
    latest = publishing.latest_revision(get_session(), row)
    try:
        data = publishing.validate(latest.markdown, catalogue.vocabularies(), slug=row.slug)
    except publishing.Invalid as invalid:
        return _manage(row, drafts.errors_by_field(invalid.errors), 400)
    shown = publishing.preview_row(row, data, utcnow())
    rows = presenters.summary_rows(
        shown,
        lambda name, value: catalogue.vocabularies()[name].label_for(value),
        lambda name, value: url_for("public.search", **{name: value}),
    )
    db = get_session()
    history = [
        publishing.HistoryEntry(utcnow(), revision.change_note)
        for revision in publishing.draft_revisions(db, row)
        if revision.public_note and revision.change_note
    ] + publishing.public_history(db, row)
    return render_template(
        "public/deliverable.html", deliverable=shown, rows=rows, preview=latest, history=history
    )


@pages.post("/<slug>/<move>")
@signed_in_as(Role.ADVISOR)
def act(slug, move):
    """Every move but saving: submit, request_changes, publish, withdraw, unpublish, restore."""
    row = _deliverable(slug)
    if move not in publishing.TRANSITIONS or move == "save":
        abort(404)
    db = get_session()
    user, form, address = account(), request.form, client_address()
    try:
        if move == "submit":
            publishing.submit(db, user, row, address=address)
            message = "Submitted for review. An editor will publish it or ask for changes."
        elif move == "request_changes":
            publishing.request_changes(db, user, row, form.get("comment", ""), address=address)
            message = "Changes requested. The advisor sees your comment."
        elif move == "publish":
            publishing.publish(
                db,
                user,
                row,
                reviewed=record_number(form.get("reviewed")) or 0,
                vocabularies=catalogue.vocabularies(),
                checked={number for value in form.getlist("checked") if (number := record_number(value))},
                address=address,
            )
            message = "Published."
        elif move == "withdraw":
            publishing.withdraw(db, user, row, form.get("reason", ""), address=address)
            message = "Withdrawn. Its page stays, with your reason; it has left search."
        elif move == "unpublish":
            publishing.unpublish(
                db,
                user,
                row,
                reason=form.get("reason", ""),
                replaced_by=form.get("replaced_by", ""),
                address=address,
            )
            message = "Unpublished."
        else:  # restore
            revision = publishing.restore(
                db,
                user,
                row,
                record_number(form.get("number")) or 0,
                based_on=record_number(form.get("based_on")),
                vocabularies=catalogue.vocabularies(),
                address=address,
            )
            message = f"Revision {revision.number} is a copy of the old one, as a draft."
    except publishing.NotVisible:
        abort(404)
    except publishing.Invalid as invalid:
        db.rollback()
        return _manage(row, drafts.errors_by_field(invalid.errors), 400)
    except publishing.Refused as refused:
        db.rollback()
        return _manage(
            row,
            {move: _sentence(str(refused))},
            409 if isinstance(refused, publishing.EditConflict) else 400,
        )
    db.commit()
    if move in ("publish", "withdraw", "unpublish"):
        if catalogue.bring_index_up_to_date(float(current_app.config["PUBLISH_INDEX_WAIT"])):
            message += " Search is up to date."
        else:
            message += (
                " Search has not caught up yet: it will at the next ingest, or when an operator runs kb sync."
            )
    flash(message)
    return redirect(url_for("publish.manage", slug=row.slug))


@pages.get("/<slug>/history")
@signed_in_as(Role.ADVISOR)
def history(slug):
    row = _deliverable(slug)
    db = get_session()
    revisions = publishing.revisions(db, row)
    return render_template(
        "publish/history.html",
        row=row,
        revisions=revisions,
        can_restore="restore" in {t.name for t in publishing.available(account(), row)},
        latest=revisions[0] if revisions else None,
    )


@pages.get("/<slug>/diff")
@signed_in_as(Role.ADVISOR)
def diff(slug):
    row = _deliverable(slug)
    db = get_session()
    old = publishing.revision(db, row, record_number(request.args.get("from")) or 0)
    new = publishing.revision(db, row, record_number(request.args.get("to")) or 0)
    if old is None or new is None:
        abort(404)
    return render_template(
        "publish/diff.html", row=row, old=old, new=new, hunks=_compare(old.markdown, new.markdown)
    )


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _compare(old: str, new: str):
    """The changed stretches of two sources, or None when they are too long to compare on a page."""
    try:
        return line_diff(old, new)
    except TooLong:
        return None
