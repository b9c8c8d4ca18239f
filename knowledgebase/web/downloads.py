"""Downloads for machines and spreadsheets (contract §6): every match of any search as CSV or JSON
Lines (`/search.csv`, `/search.jsonl`, and the sector and legal-form pages' twins), and the
open-data archive `kb export` made (`/data/...zip`), described on the `/data` page.

Downloads stream: rows are read from the database a batch at a time as the answer is sent
(`exports`), so a download of 50,000 deliverables needs no more memory than one of 500, and
gunicorn's threaded workers (gunicorn.conf.py) do not cut it off. They are strict: an unknown or
bad parameter is a 400 in plain text naming it, never a silent download of everything. They are
rate-limited per client address (`KB_EXPORT_RATE_LIMIT`) and open to scripts on other sites (CORS).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    stream_with_context,
)

from .. import catalogue, exports
from ..db import get_database
from ..search import SearchRequest
from ..search.params import SEARCH_PARAMETERS, ParameterError, parse_search_args, unknown_parameters
from .errors import error_page
from .limits import limit_exports
from .urls import public_url

downloads = Blueprint("downloads", __name__)
data = Blueprint("data", __name__, template_folder="templates")

CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/jsonl; charset=utf-8"
#: `bom=1` starts a CSV with a UTF-8 byte-order mark, which Excel needs to read it as UTF-8.
CSV_PARAMETERS = (*SEARCH_PARAMETERS, "bom")
BOM = "\ufeff"


def init_app(app: Flask) -> None:
    limit_exports(app, downloads)
    app.register_blueprint(downloads)
    app.register_blueprint(data)


@downloads.after_request
def _open_to_scripts(response: Response) -> Response:
    """Scripts on other sites (a notebook in a browser) may read the downloads."""
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _refusal(message: str, status: int = 400) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _bom() -> bool:
    value = (request.args.get("bom") or "").strip()
    if value not in ("", "0", "1"):
        raise ParameterError("bom", f"{value[:40]!r} is not accepted; accepted: 1 (a byte-order mark) or 0")
    return value == "1"


def _unknown(known) -> str | None:
    """The refusal for parameters a download does not know (a misspelt filter must not quietly
    download everything), or None."""
    unknown = unknown_parameters(request.args, known)
    if not unknown:
        return None
    return (
        f"unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
        f"accepted: {', '.join(known) or 'none'}"
    )


def _stream(kind: str, search: SearchRequest, name: str, bom: bool = False) -> Response:
    """Every match of `search`, streamed as `kind` ("csv" or "jsonl") in a file called `name`."""
    backend = catalogue.backend()
    base = public_url("")
    produce = exports.search_csv if kind == "csv" else exports.search_jsonl

    def body():
        session = get_database().sessions()
        try:
            if bom:
                yield BOM
            yield from produce(session, backend, search, base)
        finally:
            session.close()

    response = Response(stream_with_context(body()), content_type=CSV_TYPE if kind == "csv" else JSONL_TYPE)
    response.headers.set("Content-Disposition", "attachment", filename=f"{name}.{kind}")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _search_download(kind: str):
    known = CSV_PARAMETERS if kind == "csv" else SEARCH_PARAMETERS
    problem = _unknown(known)
    if problem:
        return _refusal(problem)
    try:
        bom = _bom() if kind == "csv" else False
        search = parse_search_args(request.args, catalogue.vocabularies())
    except ParameterError as error:
        return _refusal(f"{error.parameter}: {error.message}")
    return _stream(kind, search, file_name(search), bom)


@downloads.get("/search.csv")
def search_csv():
    return _search_download("csv")


@downloads.get("/search.jsonl")
def search_jsonl():
    return _search_download("jsonl")


def _topic_download(name: str, slug: str, kind: str):
    vocabulary = catalogue.vocabularies()[name]
    if vocabulary.term(slug) is None:
        return _refusal(f"no {vocabulary.label.lower()} has the slug {slug[:80]!r}", 404)
    problem = _unknown(("bom",) if kind == "csv" else ())
    if problem:
        return _refusal(problem)
    try:
        bom = _bom() if kind == "csv" else False
    except ParameterError as error:
        return _refusal(f"{error.parameter}: {error.message}")
    search = SearchRequest(filters={name: (slug,)}, sort="newest")
    return _stream(kind, search, file_name(search), bom)


@downloads.get("/sectors/<slug>.csv")
def sector_csv(slug):
    return _topic_download("sector", slug, "csv")


@downloads.get("/sectors/<slug>.jsonl")
def sector_jsonl(slug):
    return _topic_download("sector", slug, "jsonl")


@downloads.get("/legal-forms/<slug>.csv")
def legal_form_csv(slug):
    return _topic_download("legal_form", slug, "csv")


@downloads.get("/legal-forms/<slug>.jsonl")
def legal_form_jsonl(slug):
    return _topic_download("legal_form", slug, "jsonl")


def file_name(search: SearchRequest, today: dt.date | None = None, what: str = "") -> str:
    """A download's file name that says what it holds: the site, what it is (`what`, e.g.
    "evidence map sector by region"), the words and filters, the date
    (`mutuals-knowledge-base-pensions-sector-libraries-2026-11-25`)."""
    parts = ["mutuals-knowledge-base", what]
    if search.q:
        parts.append(search.q)
    for name, values in search.filters.items():
        parts += [name, *values]
    if search.year_from is not None or search.year_to is not None:
        parts.append(f"{search.year_from or ''}-{search.year_to or ''}")
    stem = re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")[:120].rstrip("-")
    return f"{stem}-{(today or dt.date.today()).isoformat()}"


# --- the open-data archive ---------------------------------------------------------------------


def _export_dir() -> Path:
    return Path(current_app.config["EXPORT_DIR"])


def _not_built():
    return error_page(
        404,
        "The open-data archive has not been made yet. It is made by the team that runs this "
        "service; try again later, or use the search downloads on the data page.",
    )


@downloads.get(f"/data/{exports.ARCHIVE_NAME}")
def archive():
    if exports.read_manifest(_export_dir()) is None:
        return _not_built()
    return send_from_directory(
        _export_dir(), exports.ARCHIVE_NAME, mimetype="application/zip", as_attachment=True, max_age=300
    )


@downloads.get(f"/data/{exports.CHECKSUM_NAME}")
def archive_checksum():
    if exports.read_manifest(_export_dir()) is None:
        return _not_built()
    return send_from_directory(_export_dir(), exports.CHECKSUM_NAME, mimetype="text/plain", max_age=300)


@data.get("/data")
def index():
    """What can be downloaded, under which licence, how to check it, and when it was made."""
    manifest = exports.read_manifest(_export_dir())
    made = None
    if manifest:
        made = dt.datetime.fromisoformat(manifest["made"].removesuffix("Z"))
    return render_template(
        "public/data.html", manifest=manifest, made=made, columns=exports.COLUMNS, licence=exports.OGL
    )
