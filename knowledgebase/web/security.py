"""Security headers on every response, the CSP nonce, and trust in a configured number of proxies.

The Content-Security-Policy allows only this site's own files: no inline style or script except
GOV.UK's one-line `js-enabled` script, which carries the per-request nonce (`csp_nonce()` in
templates). Images are this site's only (advisors' images are links, see `rendering`).
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix


def csp_nonce() -> str:
    """This request's nonce for the few script elements that need one."""
    if "kb_csp_nonce" not in g:
        g.kb_csp_nonce = secrets.token_urlsafe(18)
    return g.kb_csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Scheme and client address come from the last `hops` proxies' X-Forwarded-For and -Proto.
        # The host is not taken from X-Forwarded-Host (proxies often pass the client's through):
        # the site's public address is KB_PUBLIC_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)
    app.after_request(_headers)
    app.add_template_global(csp_nonce)
