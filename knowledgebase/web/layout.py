"""The page layout's plumbing: GOV.UK Frontend's Jinja macros.

Templates import the macros under the `govuk_frontend_jinja/` prefix, as that package documents:

    {% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}

The macros must match the GOV.UK Frontend CSS and JS that scripts/build-assets builds, so
`govuk-frontend-jinja` (setup.cfg) and `govuk-frontend` (package.json) are pinned together.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from .. import catalogue
from .presenters import long_date
from .urls import canonical_url, public_url


def register_layout(app: Flask) -> None:
    """Make GOV.UK Frontend's macros and page template loadable in every template (`csp_nonce()`
    comes from `security`, which sends the same nonce in the Content-Security-Policy header)."""
    govuk = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})
    # The app's own loader (if any) first; blueprints' template folders are searched after both.
    app.jinja_loader = ChoiceLoader([loader for loader in (app.jinja_loader, govuk) if loader])
    # What every template may use, whichever blueprint renders it.
    app.add_template_filter(label)
    app.add_template_filter(long_date)
    for helper in (canonical_url, public_url, catalogue.first_published, catalogue.last_changed):
        app.add_template_global(helper)


def label(slug, vocabulary):
    """The label of a vocabulary value, for templates: {{ d.region|label('region') }}."""
    return catalogue.vocabularies()[vocabulary].label_for(slug) if slug else ""
