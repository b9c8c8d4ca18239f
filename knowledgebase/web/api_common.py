"""What every JSON address shares (contract §4): which requests answer JSON, the error answer, and
one deliverable's answer, used by /api, /api/v1 and the `.json` twins alike."""

from __future__ import annotations

import re

from flask import Request, jsonify
from werkzeug.exceptions import HTTPException

from .. import catalogue
from ..models import Status
from . import api_json

#: The `.json` twins of the listing pages (`api_v1.twins`): the pages' addresses plus `.json`.
TWIN_PATH = re.compile(r"/(search|sectors/[^/]+|legal-forms/[^/]+)\.json")


def wants_json(request: Request) -> bool:
    """Whether this request is to an address that answers JSON, errors included: everything under
    /api/ and the `.json` twins, whether or not the address or method is one they route."""
    return request.path.startswith("/api/") or TWIN_PATH.fullmatch(request.path) is not None


def json_error(status: int, message: str, **extra):
    """`{"error": {"status": ..., "message": ..., **extra}}` with that status."""
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response


def http_error(error: HTTPException):
    """An HTTP error as JSON, keeping the headers it carries (a 405's `Allow`)."""
    response = json_error(error.code or 500, error.description or error.name)
    if error.code == 405:
        allowed = error.get_response().headers.get("Allow")
        if allowed:
            response.headers["Allow"] = allowed
    return response


def unexpected_error():
    """A failure of ours as JSON (the caller logs it); nothing of it is shown."""
    return json_error(500, "something went wrong on our side; it has been logged")


def deliverable_answer(slug: str, **more):
    """One deliverable's response (with `more` keys), or its 404 or 410."""
    row = catalogue.get_deliverable(slug)
    if row is None:
        return json_error(404, f"no deliverable has the slug {slug!r}")
    if row.status == Status.UNPUBLISHED:
        replacement = f"/deliverables/{row.replaced_by}" if row.replaced_by else None
        return json_error(
            410,
            row.unpublished_reason or "this deliverable was published in error and has been removed",
            replaced_by=replacement,
        )
    return jsonify({**api_json.full_deliverable_json(row), **more})
