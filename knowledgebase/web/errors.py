"""Error answers: the API's and the `.json` twins' are JSON (`api_common.wants_json`), whatever
the error, unrouted addresses and wrong methods included; the public downloads' (`.csv`, `.jsonl`)
are one line of plain text, as their own refusals are, for the scripts and spreadsheets that ask
for them; everything else is a page in the site's design."""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import api_common

ERROR_TITLES = {
    400: "There is a problem with the request",
    403: "You cannot see this page",
    404: "Page not found",
    405: "Method not allowed",
    410: "This page has been removed",
    413: "The file is too large",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
}
ERROR_MESSAGES = {
    404: "If you typed the web address, check it is correct. If you pasted the web address, check "
    "you copied the entire address. If you followed a link, the advice may have moved: try searching for it.",
    403: "Your account does not have access to this page. If you think it should, ask an admin of "
    "this service.",
    410: "The page you asked for is no longer published.",
    413: "What you sent is larger than this service accepts (2 MB). Deliverables are Markdown text: "
    "check you chose the right file.",
    429: "There have been too many requests from your network. Wait a minute, then try again.",
    500: "Try again later. The problem has been logged.",
}


def error_page(status: int, message: str | None = None):
    return (
        render_template(
            "public/error.html",
            status=status,
            title=ERROR_TITLES.get(status, "There is a problem"),
            message=message or ERROR_MESSAGES.get(status, ""),
        ),
        status,
    )


def wants_plain_text(request) -> bool:
    """A public download (CSV or JSON Lines) is being asked for; the admins' audit log CSV is a
    page behind sign-in and keeps the site's error pages."""
    return request.path.endswith((".csv", ".jsonl")) and not request.path.startswith("/admin/")


def plain_text_error(status: int, message: str, headers=()) -> Response:
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if api_common.wants_json(request):
            return api_common.http_error(error)
        status = error.code or 500
        if wants_plain_text(request):
            return plain_text_error(status, error.description or error.name, error.get_headers())
        if isinstance(error, CSRFError):
            return error_page(
                400,
                "This form has expired, or was not sent from this site. "
                "Go back, reload the page and try again.",
            )
        if status in ERROR_TITLES:
            return error_page(status)
        return error_page(status, error.description)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        current_app.logger.exception("unexpected error")
        if api_common.wants_json(request):
            return api_common.unexpected_error()
        if wants_plain_text(request):
            return plain_text_error(500, "Something went wrong on our side; it has been logged.")
        return error_page(500)
