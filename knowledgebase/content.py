"""Parse and validate one deliverable file in the contract's format. Knows nothing of storage.

Every problem becomes a `ContentError` naming the file, the line where it can be known, the key,
and what would be accepted; a file is either fully valid or rejected with all its errors at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import fields, licences
from .fields import Field, Kind
from .rendering import RENDERING_VERSION, RenderedBody, render_markdown
from .vocab import Vocabularies

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Characters no text value may hold: C0/C1 controls (tab and newline are whitespace, folded away)
#: and the two non-characters XML forbids, which would break feeds and sitemaps.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Slugs the site's own addresses use (/publish/new is the form for a new deliverable).
RESERVED_SLUGS = frozenset({"new"})
#: The longest body accepted, in characters: far beyond any real deliverable (about 50,000 words),
#: and short enough that rendering, diffing and indexing one stay quick.
MAX_BODY_CHARACTERS = 300_000

#: The contract's keys, from the field registry.
REQUIRED_KEYS = fields.REQUIRED_KEYS
KNOWN_KEYS = fields.KEYS


@dataclass(frozen=True)
class ContentError:
    """One reason a file was rejected."""

    path: str
    key: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


@dataclass(frozen=True)
class ContentWarning:
    """Something in a valid file to look at before it is published (likely personal data); it
    never rejects the file. `kind` is one of `personal_data.KINDS`."""

    path: str
    line: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class DeliverableData:
    """A valid deliverable as read from disk: vocabulary values already resolved to slugs."""

    slug: str
    title: str
    summary: str
    organisation: str
    sector: tuple[str, ...]
    legal_form: tuple[str, ...]
    deliverable_type: str
    provider: tuple[str, ...]
    published: dt.date
    programme: str | None
    stage: str | None
    region: str | None
    award_value: int | None
    licence: str
    tags: tuple[str, ...]
    markdown: str
    body: RenderedBody
    source_path: str
    content_hash: str


@dataclass
class ParseResult:
    """What reading one file gave: a deliverable, or the errors that rejected it."""

    path: str
    deliverable: DeliverableData | None = None
    errors: list[ContentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.deliverable is not None and not self.errors


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so `2013-13-45` is a `published` error, not a crash."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def content_hash(raw: bytes, vocabularies: Vocabularies) -> str:
    """The fingerprint ingest uses to skip files that have not changed. It covers what parsing
    depends on beyond the file too: the rendering version, so a change in how bodies are rendered
    re-renders every file on the next ingest, and the known providers' names and aliases, so an
    edit to providers.yml re-reads every file (with no providers.yml, the hash is as before)."""
    salt = RENDERING_VERSION
    if fingerprint := vocabularies.providers.fingerprint:
        salt += "\0providers " + fingerprint
    return hashlib.sha256(salt.encode("ascii") + b"\0" + raw).hexdigest()


def parse_file(path: str | Path, vocabularies: Vocabularies, raw: bytes | None = None) -> ParseResult:
    """Read and validate one deliverable file."""
    path = Path(path)
    shown = str(path)
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            return ParseResult(shown, errors=[ContentError(shown, None, f"cannot be read: {error.strerror}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return ParseResult(
            shown,
            errors=[
                ContentError(
                    shown,
                    None,
                    f"is not UTF-8 (byte 0x{raw[error.start]:02x} at line {line}); save the file as UTF-8",
                    line,
                )
            ],
        )
    hash_ = content_hash(raw, vocabularies)
    return parse_text(text, shown, vocabularies, default_slug=path.stem, hash_=hash_)


def parse_text(
    text: str, shown: str, vocabularies: Vocabularies, *, default_slug: str, hash_: str | None = None
) -> ParseResult:
    """Validate a deliverable given as text; `shown` names it in errors."""
    result = ParseResult(shown)
    text = text.removeprefix("\ufeff")
    front, body, body_line = _split_front_matter(text)
    if front is None:
        result.errors.append(
            ContentError(
                shown,
                None,
                "has no YAML front matter: the file must start with a line '---', "
                "then the metadata, then a line '---'",
                1,
            )
        )
        return result
    try:
        node = yaml.compose(front, Loader=_FrontMatterLoader)
        data = yaml.load(front, Loader=_FrontMatterLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        result.errors.append(ContentError(shown, None, f"front matter is not valid YAML: {problem}", line))
        return result
    if not isinstance(data, dict):
        result.errors.append(
            ContentError(shown, None, "front matter must be a mapping of keys to values (key: value)", 2)
        )
        return result

    lines = _key_lines(node, result, shown)
    checker = _Checker(shown, lines, result.errors, vocabularies)
    values = checker.check(data)
    slug = values.pop("slug", None) or default_slug
    if not SLUG_PATTERN.fullmatch(slug):
        key = "slug" if "slug" in data else None
        source = "slug" if key else "the file name"
        checker.error(
            key,
            f"{source} gives the slug {slug!r}; a slug may only have lower-case letters, "
            "digits and single hyphens (rename the file or set slug:)",
        )
    elif slug in RESERVED_SLUGS:
        checker.error(
            "slug" if "slug" in data else None,
            f"{slug!r} is reserved for the site's own pages; choose another slug "
            "(rename the file or set slug:)",
        )
    if len(body) > MAX_BODY_CHARACTERS:
        result.errors.append(
            ContentError(
                shown,
                "body",
                f"is {len(body):,} characters long; at most {MAX_BODY_CHARACTERS:,} are accepted "
                "(split it into several deliverables)",
                body_line,
            )
        )
    if not body.strip():
        result.errors.append(
            ContentError(
                shown, "body", "is empty: write the deliverable in Markdown after the front matter", body_line
            )
        )
    if result.errors:
        return result
    result.deliverable = DeliverableData(
        slug=slug,
        markdown=text,
        body=render_markdown(body),
        source_path=shown,
        content_hash=hash_ or content_hash(text.encode("utf-8"), vocabularies),
        **values,
    )
    return result


def compose_text(front: dict, body: str) -> str:
    """A deliverable's source in the contract's format: YAML front matter (the keys in the field
    registry's order, empty values left out) then the Markdown body. What the site's form saves,
    so a revision made on the web reads like a file an advisor wrote."""
    ordered = {key: front[key] for key in KNOWN_KEYS if front.get(key) not in (None, "", [], ())}
    # Keys the contract does not know are kept, so validation names them rather than losing them.
    ordered.update({key: value for key, value in front.items() if key not in KNOWN_KEYS})
    yaml_text = yaml.safe_dump(
        ordered, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000
    )
    body = body.replace("\r\n", "\n").strip("\n")
    return f"---\n{yaml_text}---\n\n{body}\n"


def read_source(text: str) -> tuple[dict, str]:
    """The front matter as written (a mapping, empty if there is none or it is not valid YAML)
    and the body: what an uploaded file fills the site's form with before it is validated."""
    front, body, _ = _split_front_matter(text.removeprefix("\ufeff"))
    if front is None:
        return {}, text
    try:
        data = yaml.load(front, Loader=_FrontMatterLoader)
    except yaml.YAMLError:
        return {}, body
    return (data if isinstance(data, dict) else {}), body


def _split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line the body starts on); front matter None if there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "".join(lines[1:number]), "".join(lines[number + 1 :]), number + 2
    return None, text, 1


def _key_lines(node, result: ParseResult, shown: str) -> dict[str, int]:
    """Line of each top-level key in the file (front matter starts on line 2); flags duplicates."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, _ in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in lines:
            result.errors.append(
                ContentError(
                    shown, key, f"is given twice (first on line {lines[key]}); give each key once", line
                )
            )
        else:
            lines[key] = line
    return lines


class _Checker:
    """Checks the front matter's values key by key, collecting every error."""

    def __init__(self, shown, lines, errors, vocabularies):
        self.shown, self.lines, self.errors, self.vocabularies = shown, lines, errors, vocabularies

    def error(self, key, message):
        self.errors.append(ContentError(self.shown, key, message, self.lines.get(key)))

    def check(self, data: dict) -> dict:
        values: dict = {}
        for key in data:
            if str(key) not in KNOWN_KEYS:
                near = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                self.error(str(key), f"is not a known key; {hint}accepted keys are {', '.join(KNOWN_KEYS)}")
        for key in REQUIRED_KEYS:
            if data.get(key) in (None, "", []):
                self.errors.append(
                    ContentError(
                        self.shown,
                        key,
                        "is required but " + ("missing" if key not in data else "empty"),
                        self.lines.get(key),
                    )
                )
        for spec in fields.FIELDS:
            value = self.checks[spec.kind](self, data, spec)
            if value is not None or spec.kind is not Kind.SLUG:
                values[spec.name] = value
        return values

    def text(self, data, field: Field) -> str:
        key, limit = field.name, field.max_length
        value = data.get(key)
        if value in (None, ""):
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(key, f"must be plain text, not {_describe(value)}")
            return ""
        value = " ".join(str(value).split())
        if CONTROL_CHARACTERS.search(value):
            self.error(key, "contains a control character; write plain text")
            return ""
        if len(value) > limit:
            self.error(key, f"is {len(value)} characters long; at most {limit} are accepted")
        return value

    def text_list(self, data, field: Field) -> tuple[str, ...]:
        key, what = field.name, field.hint
        value = data.get(key)
        if value in (None, "", []):
            return ()
        items = value if isinstance(value, list) else [value]
        texts = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.error(key, f"must be {what}: one text value or a list of them, not {_describe(item)}")
                return ()
            text = " ".join(str(item).split())
            if CONTROL_CHARACTERS.search(text):
                self.error(key, "contains a control character; write plain text")
                return ()
            if field.max_length and len(text) > field.max_length:
                self.error(
                    key, f"has a value {len(text)} characters long; at most {field.max_length} are accepted"
                )
                return ()
            texts.append(text)
        return tuple(dict.fromkeys(texts))

    def names(self, data, field: Field) -> tuple[str, ...]:
        """Free-text names; a provider's name or alias folds to its canonical name (providers.yml),
        so one firm written two ways is given once."""
        texts = self.text_list(data, field)
        if field.name == "provider":
            texts = tuple(dict.fromkeys(map(self.vocabularies.providers.canonical, texts)))
        return texts

    def vocabulary(self, data, field: Field):
        return (
            self.vocabulary_values(data, field.name)
            if field.many
            else self.vocabulary_value(data, field.name)
        )

    def vocabulary_values(self, data, key) -> tuple[str, ...]:
        value = data.get(key)
        if value in (None, "", []):
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(dict.fromkeys(slug for item in items if (slug := self.resolve(key, item))))

    def vocabulary_value(self, data, key) -> str | None:
        value = data.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, list):
            if len(value) != 1:
                self.error(
                    key,
                    f"takes exactly one value, not a list of {len(value)}; "
                    f"accepted: {self.vocabularies[key].accepted()}",
                )
                return None
            value = value[0]
        return self.resolve(key, value)

    def resolve(self, key, written) -> str | None:
        vocabulary = self.vocabularies[key]
        slug = vocabulary.resolve(written)
        if slug is None:
            near = vocabulary.closest(str(written))
            hint = f"did you mean {near!r}? " if near else ""
            self.error(
                key,
                f"{written!r} is not a known {vocabulary.label.lower()}; {hint}"
                f"accepted: {vocabulary.accepted()}",
            )
        return slug

    def date(self, data, field: Field) -> dt.date | None:
        key = field.name
        value = data.get(key)
        if value in (None, ""):
            return None
        text = str(value).strip()
        if not DATE_PATTERN.match(text):
            self.error(key, f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2013-02-15")
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError as error:
            self.error(key, f"{text!r} is not a real date ({error}); write it as YYYY-MM-DD, e.g. 2013-02-15")
            return None

    def money(self, data, field: Field) -> int | None:
        value = data.get(field.name)
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.error(
                field.name,
                f"{value!r} is not accepted; write whole pounds as a non-negative "
                "integer without a £ sign or commas, e.g. 93000",
            )
            return None
        return value

    def licence(self, data, field: Field) -> str:
        written = self.text(data, field)
        if not written:
            return licences.DEFAULT_LICENCE
        found = licences.resolve(written)
        if found is None:
            self.error(
                field.name, f"{written!r} is not a licence we publish under; accepted: {licences.accepted()}"
            )
            return written
        return found.id

    def slug(self, data, field: Field) -> str | None:
        return self.text(data, field) or None

    checks = {
        Kind.TEXT: text,
        Kind.VOCABULARY: vocabulary,
        Kind.NAMES: names,
        Kind.DATE: date,
        Kind.MONEY: money,
        Kind.LICENCE: licence,
        Kind.SLUG: slug,
    }


def _describe(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the true/false value {str(value).lower()}"
    return repr(value)
