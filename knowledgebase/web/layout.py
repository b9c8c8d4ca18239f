"""The page layout's plumbing: GOV.UK Frontend's Jinja macros, and the nonce the layout's scripts
carry for the Content Security Policy.

Templates import the macros under the `govuk_frontend_jinja/` prefix, as that package documents:

    {% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}

The macros must match the GOV.UK Frontend CSS and JS that scripts/build-assets builds, so
`govuk-frontend-jinja` (setup.cfg) and `govuk-frontend` (package.json) are pinned together.
"""

from __future__ import annotations

import secrets

from flask import Flask, g
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader


def register_layout(app: Flask) -> None:
    """Make GOV.UK Frontend's macros and page template loadable, and `csp_nonce()` callable, in
    every template."""
    govuk = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})
    # The app's own loader (if any) first; blueprints' template folders are searched after both.
    app.jinja_loader = ChoiceLoader([loader for loader in (app.jinja_loader, govuk) if loader])
    app.add_template_global(csp_nonce)


def csp_nonce() -> str:
    """This request's nonce for `<script nonce="...">`: random per request, the same for every call
    within one. The Content-Security-Policy header must send the same value; whoever builds that
    header takes this function over rather than adding a second source of nonces."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce
