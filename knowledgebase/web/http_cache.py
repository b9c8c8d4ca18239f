"""HTTP for machines on the API and the `.json` twins: CORS for reading, ETags and caching.

- CORS: any origin may GET (`Access-Control-Allow-Origin: *`; nothing here depends on cookies),
  and a preflight (OPTIONS) is answered for GET with the one non-simple header a script sends,
  `If-None-Match`. Scripts may read ETag, Retry-After and the rate-limit headers.
- ETag: weak, because it vouches for the same answer rather than the same bytes. It is made from
  the search index's generation (which changes whenever a deliverable is added, changed or
  removed), the vocabularies' and providers' fingerprint (labels appear in answers), the answer
  format's version and the full request URL. It is worked out before the view runs, so a matching
  `If-None-Match` is a 304 without a search.
- `Cache-Control: public, max-age=60`: a minute is how long after a publish a cached answer may
  lag, which is as long as a reader waits for search to catch up at worst; after that a cache
  revalidates cheaply with the ETag. Nothing in an answer depends on a request header, so the API
  adds no Vary; the `Vary: Cookie` that sign-in's session layer puts on every response stays, and
  costs nothing to scripts, which send no cookie.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, g, request

from .. import catalogue

#: Bump when the answers' shape or content changes for the same index, so caches revalidate.
ANSWER_FORMAT = "1"
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


def current_etag() -> str:
    """This request's ETag value (without W/ and quotes), worked out once a request."""
    if "kb_etag" in g:
        return g.kb_etag
    parts = (
        ANSWER_FORMAT,
        catalogue.backend().generation(),
        vocabularies_fingerprint(catalogue.vocabularies()),
        request.url,
    )
    g.kb_etag = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return g.kb_etag


def _not_modified():
    """A 304 before the view runs, when the client already holds this answer."""
    if request.method not in ("GET", "HEAD") or not request.if_none_match or request.if_none_match.star_tag:
        return None  # "*" is left to the view: an address that is an error has no representation
    etag = current_etag()
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response
    return None


def _headers(response):
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    elif response.status_code == 200 and request.method in ("GET", "HEAD") and response.is_json:
        if not response.get_etag()[0]:
            response.set_etag(current_etag(), weak=True)
        headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def serve_to_scripts(blueprint: Blueprint) -> None:
    """CORS, ETags, 304s and caching for every view of a blueprint that answers JSON."""
    blueprint.before_request(_not_modified)
    blueprint.after_request(_headers)
