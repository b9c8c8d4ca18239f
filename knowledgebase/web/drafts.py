"""The deliverable form: built from the field registry, filled from a revision or an uploaded file,
and turned back into the contract's text for `publishing.save` (which validates it exactly as
`kb check` does). No validation here: this module only translates between the form and the text.

Form values are what the inputs show: text for text, dates, money and lists written one per line;
a list of slugs for ticked checkboxes; one slug or identifier for a select.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from .. import fields, licences
from ..content import ContentError, compose_text, read_source
from ..fields import Field, Kind
from ..vocab import Vocabularies

#: Ids of the form's own parts that are not fields of the content format.
BODY, UPLOAD, CHANGE_NOTE = "body", "upload", "change_note"


@dataclass(frozen=True)
class FormField:
    """One input: the registry's field, the widget that shows it and, for choices, the options."""

    spec: Field
    widget: str  # input, textarea, lines, checkboxes, select
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""

    @property
    def id(self) -> str:
        return self.spec.name


def form_fields(vocabularies: Vocabularies, *, new: bool) -> list[FormField]:
    """The form's inputs, in the registry's order; the slug only for a new deliverable."""
    shown = []
    for spec in fields.FIELDS:
        if spec.kind is Kind.SLUG:
            if new:
                shown.append(
                    FormField(
                        spec,
                        "input",
                        hint="The end of its web address. Leave it blank to make one from the title; "
                        "it cannot change once saved.",
                    )
                )
        elif spec.kind is Kind.VOCABULARY:
            terms = tuple((term.slug, term.label) for term in vocabularies[spec.name].terms)
            if spec.many:
                shown.append(FormField(spec, "checkboxes", terms, "Select all that apply."))
            else:
                shown.append(FormField(spec, "select", (("", "Not given"),) * (not spec.required) + terms))
        elif spec.kind is Kind.NAMES:
            shown.append(FormField(spec, "lines", hint=f"One per line: {spec.hint}."))
        elif spec.kind is Kind.LICENCE:
            shown.append(FormField(spec, "select", tuple((item.id, item.name) for item in licences.LICENCES)))
        elif spec.kind is Kind.DATE:
            shown.append(FormField(spec, "input", hint="As year-month-day, for example 2014-03-31."))
        elif spec.kind is Kind.MONEY:
            shown.append(FormField(spec, "input", hint="In whole pounds, for example 93000."))
        elif spec.name == "summary":
            shown.append(FormField(spec, "textarea", hint=f"At most {spec.max_length} characters."))
        else:
            shown.append(FormField(spec, "input", hint=spec.hint.capitalize() + "." if spec.hint else ""))
    return shown


def blank_values(providers: list[str]) -> dict:
    """A new deliverable's form: the advisor's own providers, the default licence."""
    values = values_from_front({}, None)
    values["provider"] = "\n".join(providers)
    values["licence"] = licences.DEFAULT_LICENCE
    return values


def values_from_text(text: str, vocabularies: Vocabularies | None) -> dict:
    """The form filled from a deliverable's source (a revision, or an uploaded file)."""
    front, body = read_source(text)
    values = values_from_front(front, vocabularies)
    values[BODY] = body.strip("\n")
    return values


def values_from_front(front: dict, vocabularies: Vocabularies | None) -> dict:
    values: dict = {BODY: "", CHANGE_NOTE: "", "public_note": False}
    for spec in fields.FIELDS:
        raw = front.get(spec.name)
        items = [] if raw in (None, "") else (raw if isinstance(raw, list) else [raw])
        if spec.kind is Kind.VOCABULARY and vocabularies is not None:
            # Values the vocabulary cannot place stay out of the form; validation names them.
            slugs = [slug for item in items if (slug := vocabularies[spec.name].resolve(item))]
            values[spec.name] = slugs if spec.many else (slugs[0] if slugs else "")
        elif spec.kind is Kind.VOCABULARY:
            values[spec.name] = [] if spec.many else ""
        elif spec.kind is Kind.NAMES:
            values[spec.name] = "\n".join(str(item) for item in items)
        elif spec.kind is Kind.LICENCE:
            found = licences.resolve(str(raw)) if raw else None
            values[spec.name] = found.id if found else ("" if raw is None else str(raw))
        else:
            values[spec.name] = "" if raw is None else str(raw)
    return values


def values_from_form(form: MultiDict) -> dict:
    """What the person submitted, as form values (kept to re-show the form if the save fails)."""
    values: dict = {
        BODY: form.get(BODY, ""),
        CHANGE_NOTE: form.get(CHANGE_NOTE, ""),
        "public_note": bool(form.get("public_note")),
    }
    for spec in fields.FIELDS:
        if spec.kind is Kind.VOCABULARY and spec.many:
            values[spec.name] = [value for value in form.getlist(spec.name) if value]
        else:
            values[spec.name] = form.get(spec.name, "")
    return values


def text_from_values(values: dict) -> str:
    """The contract's text for the form's values."""
    front: dict = {}
    for spec in fields.FIELDS:
        value = values.get(spec.name)
        if spec.kind is Kind.NAMES:
            front[spec.name] = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        elif spec.kind is Kind.MONEY:
            cleaned = str(value or "").replace("£", "").replace(",", "").strip()
            # Whole pounds become a number; anything else goes through for validation to name.
            whole = re.fullmatch(r"[0-9]{1,15}", cleaned)  # not "²", which str.isdigit() accepts
            front[spec.name] = int(cleaned) if whole else (str(value).strip() or None)
        elif isinstance(value, list):
            front[spec.name] = value
        else:
            front[spec.name] = str(value or "").strip()
    return compose_text(front, values.get(BODY, ""))


def errors_by_field(errors: list[ContentError]) -> dict[str, str]:
    """Validation errors keyed by the id of the input to fix (the first error per input); errors
    about no field of the form (the file as a whole, an unknown key) go to the upload."""
    known = {spec.name for spec in fields.FIELDS} | {BODY}
    found: dict[str, str] = {}
    for error in errors:
        target = error.key if error.key in known else UPLOAD
        label = fields.BY_NAME[error.key].label if error.key in fields.BY_NAME else (error.key or "The file")
        spec = fields.BY_NAME.get(error.key)
        if spec is not None and spec.kind is Kind.VOCABULARY and " is not a known " in error.message:
            # kb check lists every accepted value; the form already shows them as choices.
            written = error.message.split(" is not a known ", 1)[0]
            what = f"the {label.lower()}s" if spec.many else f"a {label.lower()}"
            found.setdefault(target, f"Choose {what} from the list: {written} is not one of them")
            continue
        verb = error.message.split(" ", 1)[0] in ("is", "must", "contains", "has", "takes", "gives")
        message = (
            error.message if error.key not in known else f"{label}{' ' if verb else ': '}{error.message}"
        )
        if target == BODY:
            message = f"The advice {error.message}"
        elif target == UPLOAD and error.key:
            message = f"{error.key}: {error.message}"
        found.setdefault(target, message[0].upper() + message[1:])
    return found
