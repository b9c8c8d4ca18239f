"""What the API says (contract §4): searches, deliverables, the glossary, the evidence map and the
statistics as JSON-ready dicts, every deliverable field from the field registry.

Plain functions over what `catalogue` and `research` return; the views choose which to send, and
`openapi` describes the same shapes from the same registry.
"""

from __future__ import annotations

import difflib
from urllib.parse import urlencode

from .. import fields
from ..models import Status
from ..providers import fold
from .urls import args_for, public_url

#: Deliverable dates given beside the registry's fields: when it first appeared on this site and
#: when its text last changed (UTC).
DATES = ("first_published_at", "last_changed_at")


def timestamp(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def deliverable_json(row, specs=fields.FIELDS) -> dict:
    """A deliverable's fields as the API gives them, from the field registry, with its dates."""
    answer = {"slug": row.slug, "url": f"/deliverables/{row.slug}"}
    for spec in specs:
        if spec.name != "slug":
            answer[spec.name] = spec.json_value(getattr(row, spec.name))
    for name in DATES:
        answer[name] = timestamp(getattr(row, name))
    return answer


def withdrawn_json(row) -> dict | None:
    """None for a published deliverable; when and why it was withdrawn otherwise (the date is
    null for deliverables withdrawn before dates were kept)."""
    if row.status == Status.PUBLISHED:
        return None
    when = row.withdrawn_at
    return {"date": when.date().isoformat() if when else None, "reason": row.withdrawn_reason}


def full_deliverable_json(row) -> dict:
    """One deliverable's whole answer: its fields, its text in HTML and Markdown, its contents."""
    return {
        **deliverable_json(row),
        "html": row.body_html,
        "markdown": row.markdown,
        "toc": row.toc,
        "withdrawn": withdrawn_json(row),
    }


def page_link(path: str, request, page: int | None) -> str | None:
    """The absolute address (on `KB_PUBLIC_URL`) of another page of the same search, or None:
    absolute so that a script on another site can follow it as it is."""
    if page is None:
        return None
    args = args_for(request)
    args.setlist("page", [str(page)] if page > 1 else [])
    query = urlencode(list(args.items(multi=True)))
    return public_url(path + ("?" + query if query else ""))


def listing_json(listing, links_to: str) -> dict:
    """A page of a search; `next` and `prev` are addresses on `links_to` (null at the ends, and
    both null when no results were asked for)."""
    req = listing.request
    pages = listing.pages
    following = req.page + 1 if req.per_page and req.page < pages else None
    previous = min(req.page - 1, pages) if req.per_page and req.page > 1 else None
    return {
        "query": req.q,
        "total": listing.total,
        "page": req.page,
        "per_page": req.per_page,
        "pages": pages,
        "next": page_link(links_to, req, following),
        "prev": page_link(links_to, req, previous),
        "sort": req.effective_sort,
        "results": [
            {**deliverable_json(result.deliverable), "snippet": result.hit.snippet, "score": result.hit.score}
            for result in listing.results
        ],
        "facets": {
            facet.name: [
                {
                    "value": option.value,
                    "label": option.label,
                    "count": option.count,
                    "selected": option.selected,
                }
                for option in facet.options
            ]
            for facet in listing.facets
        },
        "suggestion": listing.suggestion,
        "matched": listing.matched,
    }


def provider_warnings(listing, providers) -> list[dict]:
    """A warning for each `provider` asked for that is neither a listed provider (a name or alias
    in providers.yml) nor a provider any deliverable found under the other filters names, with the
    nearest known name when one is close: most likely a misspelling, which would otherwise answer
    nothing, silently. Never an error: small firms are free text."""
    found = {
        fold(option.value): option.value
        for facet in listing.facets
        if facet.name == "provider"
        for option in facet.options
        if option.count
    }
    known = {fold(written): name for name in providers.names for written in (name, *providers.aliases(name))}
    candidates = {**found, **known}
    answer = []
    for value in listing.request.selected("provider"):
        if providers.known(value) or fold(value) in found:
            continue
        close = difflib.get_close_matches(fold(value), candidates, n=1, cutoff=0.8)
        message = f"‘{value[:80]}’ is not a listed provider"
        if close:
            message += f"; did you mean ‘{candidates[close[0]]}’?"
        else:
            message += ", and no deliverable found names it"
        answer.append({"parameter": "provider", "message": message})
    return answer


def vocabulary_json(vocabulary) -> dict:
    """One vocabulary as the glossary gives it: every value with its label, other names and meaning."""
    return {
        "name": vocabulary.name,
        "label": vocabulary.label,
        "values": [
            {
                "slug": term.slug,
                "label": term.label,
                "aliases": list(term.aliases),
                "description": term.description,
            }
            for term in vocabulary.terms
        ],
    }


def evidence_map_json(found) -> dict:
    """An evidence map as a dense matrix: `cells[i][j]` counts the deliverables having the i-th
    row value and the j-th column value, zeros included, in the axes' order."""

    def axis(side, totals):
        return {
            "name": side.name,
            "label": side.label,
            "values": [
                {"value": value, "label": label, "total": totals.get(value, 0)}
                for value, label in side.values
            ],
        }

    return {
        "query": found.request.q,
        "rows": axis(found.rows, found.row_totals),
        "columns": axis(found.columns, found.column_totals),
        "cells": [
            [found.count(row, column) for column, _ in found.columns.values] for row, _ in found.rows.values
        ],
        "total": found.total,
        "largest": found.largest,
        "gaps": found.gaps,
    }


def statistics_json(found) -> dict:
    """The collection's statistics: counts per year (every year in the span), programme, sector and
    legal form (every value), and award values (whole pounds) where deliverables give them."""

    def counts(items):
        return [{"value": item.value, "label": item.label, "count": item.count} for item in items]

    awards = found.awards
    return {
        "total": found.total,
        "by_year": counts(found.by_year),
        "by_programme": counts(found.by_programme),
        "by_sector": counts(found.by_sector),
        "by_legal_form": counts(found.by_legal_form),
        "awards": {
            "known": awards.known,
            "total": awards.total,
            "median": awards.median,
            "by_year": [
                {"year": year, "known": known, "total": total, "median": median}
                for year, known, total, median in awards.by_year
            ],
            "by_programme": [
                {"value": slug, "label": label, "known": known, "total": total, "median": median}
                for slug, label, known, total, median in awards.by_programme
            ],
        },
    }
