"""The field registry agrees with the record, the parsed form and the contract's filters, so a
field added in one place and forgotten in another fails here first."""

import dataclasses

from knowledgebase import fields
from knowledgebase.content import DeliverableData
from knowledgebase.models import VALUE_ROWS, Deliverable
from knowledgebase.search import FILTERS, SORTS
from knowledgebase.web.presenters import SORT_LABELS


def test_every_field_is_parsed_and_stored():
    parsed = {field.name for field in dataclasses.fields(DeliverableData)}
    for spec in fields.FIELDS:
        assert spec.name in parsed, spec.name
        assert hasattr(Deliverable, spec.name), spec.name
    assert set(VALUE_ROWS) == {spec.name for spec in fields.FIELDS if spec.many}


def test_filters_are_the_contracts():
    assert FILTERS == ("sector", "legal_form", "deliverable_type", "programme", "region", "stage", "provider")
    assert fields.REQUIRED_KEYS == (
        "title",
        "summary",
        "organisation",
        "sector",
        "legal_form",
        "deliverable_type",
        "provider",
        "published",
    )


def test_every_sort_has_a_label():
    assert set(SORT_LABELS) == set(SORTS)
