"""The one registry of a deliverable's fields: every key of the content format, in the order pages show them.

The contract's keys (required and optional), the validator's checks, the search filters and facets,
the deliverable page's summary list and the API's serialiser are all derived from `FIELDS`, so a new
field is added here once (plus a migration and a line in docs/contract.md), not in eight modules.
Later forms and CSV columns derive from it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a field's value is written, checked and shown."""

    TEXT = "text"  #: plain text on one line
    VOCABULARY = "vocabulary"  #: values from vocabularies.yml, stored as slugs
    NAMES = "names"  #: free text values, one or a list (providers, tags)
    DATE = "date"  #: an ISO date, YYYY-MM-DD
    MONEY = "money"  #: whole pounds, a non-negative integer
    LICENCE = "licence"  #: an identifier from `knowledgebase.licences`
    SLUG = "slug"  #: lower-case letters, digits and hyphens


@dataclass(frozen=True)
class Field:
    """One key of the content format and everything that is derived from it."""

    name: str
    label: str
    kind: Kind
    required: bool = False
    many: bool = False
    max_length: int | None = None
    #: A search filter with counts (OR within one filter, AND across filters).
    facet: bool = False
    #: A row of the deliverable page's summary list.
    summary_list: bool = True
    #: Part of every result in the API's result lists (all fields are in a single deliverable's answer).
    in_results: bool = False
    #: What an advisor is told to write, for errors, forms and the contract.
    hint: str = ""

    @property
    def vocabulary(self) -> str | None:
        """The vocabulary whose values this field takes (named like the field), if any."""
        return self.name if self.kind is Kind.VOCABULARY else None

    def json_value(self, value):
        """The value as the API gives it: dates as ISO text, many values as a list."""
        if isinstance(value, dt.date):
            return value.isoformat()
        if self.many:
            return list(value or ())
        return value


FIELDS: tuple[Field, ...] = (
    Field("title", "Title", Kind.TEXT, required=True, max_length=200, summary_list=False, in_results=True),
    Field(
        "summary", "Summary", Kind.TEXT, required=True, max_length=600, summary_list=False, in_results=True
    ),
    Field(
        "organisation",
        "Organisation",
        Kind.TEXT,
        required=True,
        max_length=300,
        in_results=True,
        hint="the service or mutual the advice was for",
    ),
    Field("sector", "Sector", Kind.VOCABULARY, required=True, many=True, facet=True, in_results=True),
    Field("legal_form", "Legal form", Kind.VOCABULARY, required=True, many=True, facet=True, in_results=True),
    Field("deliverable_type", "Type of advice", Kind.VOCABULARY, required=True, facet=True, in_results=True),
    Field("programme", "Programme", Kind.VOCABULARY, facet=True, in_results=True),
    Field("region", "Region", Kind.VOCABULARY, facet=True, in_results=True),
    Field("stage", "Stage", Kind.VOCABULARY, facet=True, in_results=True),
    Field(
        "provider",
        "Provider",
        Kind.NAMES,
        required=True,
        many=True,
        max_length=300,
        facet=True,
        in_results=True,
        hint="the advising organisation(s)",
    ),
    Field("published", "Date of the advice", Kind.DATE, required=True, in_results=True),
    Field("award_value", "Value of support", Kind.MONEY),
    Field("licence", "Licence", Kind.LICENCE, max_length=100),
    Field("tags", "Keywords", Kind.NAMES, many=True, max_length=200, hint="free keywords"),
    Field("slug", "Slug", Kind.SLUG, max_length=200, summary_list=False),
)

BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}
KEYS: tuple[str, ...] = tuple(field.name for field in FIELDS)
REQUIRED_KEYS: tuple[str, ...] = tuple(field.name for field in FIELDS if field.required)
#: Search filters, in the order pages and the API list them.
FILTERS: tuple[str, ...] = tuple(field.name for field in FIELDS if field.facet)
SUMMARY_LIST: tuple[Field, ...] = tuple(field for field in FIELDS if field.summary_list)
RESULT_FIELDS: tuple[Field, ...] = tuple(field for field in FIELDS if field.in_results)


def field(name: str) -> Field:
    return BY_NAME[name]
