"""HTTP for machines on the API and the `.json` twins: CORS for reading, ETags and caching.

- CORS: any origin may GET (`Access-Control-Allow-Origin: *`; nothing here depends on cookies),
  on every answer of a JSON address (`api_common.wants_json`), errors included, so a script can
  read why it failed; a preflight (OPTIONS) is answered for GET with the one non-simple header a
  script sends, `If-None-Match`. Scripts may read ETag, Retry-After and the rate-limit headers.
- ETag: weak, because it vouches for the same answer rather than the same bytes. It is made from
  the search index's generation (which changes whenever a deliverable is added, changed or
  removed), the database's change token (the latest audit event: every publishing move and every
  change by ingest is audited, so a corrected withdrawal reason, an unpublished deliverable or a
  publish whose index update failed all change it), the vocabularies' and providers' fingerprint
  (labels appear in answers), the package's version and the answer format's (a deploy may change
  answers) and the full request URL. It is worked out before the view reads anything, so a
  change made while the view runs leaves the answer with the older ETag (the next request
  revalidates and gets the new answer), and a matching `If-None-Match` is a 304 without a search.
  `If-None-Match: *` is a 304 for any address that has an answer (RFC 9110 §13.1.2) and changes
  nothing for an error.
- `Cache-Control: public, max-age=60`: a minute is how long after a publish a cached answer may
  lag, which is as long as a reader waits for search to catch up at worst; after that a cache
  revalidates cheaply with the ETag. Nothing in an answer depends on a request header, so the API
  adds no Vary; the `Vary: Cookie` that sign-in's session layer puts on every response stays, and
  costs nothing to scripts, which send no cookie.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint, Flask, Response, g, request
from sqlalchemy import func, select

from .. import catalogue
from ..db import get_session
from ..models import AuditEvent
from .api_common import wants_json

#: Bump when the answers' shape or content changes for the same index between two releases (the
#: package's version is in every ETag too).
ANSWER_FORMAT = "1"
try:
    VERSION = version("knowledgebase")
except PackageNotFoundError:  # pragma: no cover - a checkout run without installing
    VERSION = "unknown"
MAX_AGE = 60
EXPOSED_HEADERS = (
    "ETag",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def vocabularies_fingerprint(vocabularies) -> str:
    """What answers' labels and filters depend on, besides the index: every vocabulary value and
    the providers' names and aliases."""
    terms = [
        [
            vocabulary.name,
            vocabulary.label,
            [[t.slug, t.label, t.description, list(t.aliases)] for t in vocabulary.terms],
        ]
        for vocabulary in vocabularies
    ]
    text = json.dumps([terms, vocabularies.providers.fingerprint], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def database_token() -> str:
    """Changes whenever the database changes what an answer may say: the latest audit event's id
    (one look at the primary key's index)."""
    return str(get_session().scalar(select(func.max(AuditEvent.id))) or 0)


def current_etag() -> str:
    """This request's ETag value (without W/ and quotes), worked out once a request."""
    if "kb_etag" in g:
        return g.kb_etag
    parts = (
        VERSION,
        ANSWER_FORMAT,
        catalogue.backend().generation(),
        database_token(),
        vocabularies_fingerprint(catalogue.vocabularies()),
        request.url,
    )
    g.kb_etag = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return g.kb_etag


def _not_modified_response(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def _not_modified():
    """The ETag, before the view reads anything; a 304 already when the client holds this answer."""
    if request.method not in ("GET", "HEAD"):
        return None
    etag = current_etag()
    # "*" is answered after the view (`_caching`): only an address that has an answer matches it.
    held = request.if_none_match
    if held and not held.star_tag and held.contains_weak(etag):
        return _not_modified_response(etag)
    return None


def _cors(response):
    """CORS headers on every answer of a JSON address, errors and 304s included."""
    if not wants_json(request):
        return response
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    return response


def _caching(response):
    """The ETag and Cache-Control of a successful answer; a 304 for `If-None-Match: *`."""
    if response.status_code == 200 and request.method in ("GET", "HEAD") and response.is_json:
        if request.if_none_match.star_tag:
            return _not_modified_response(current_etag())
        if not response.get_etag()[0]:
            response.set_etag(current_etag(), weak=True)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def serve_to_scripts(blueprint: Blueprint) -> None:
    """ETags, 304s and caching for every view of a blueprint that answers JSON."""
    blueprint.before_request(_not_modified)
    blueprint.after_request(_caching)


def init_app(app: Flask) -> None:
    """CORS on every JSON address (`api_common.wants_json`), whether or not a view answered."""
    app.after_request(_cors)
