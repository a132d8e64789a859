"""Security headers on every response (Flask-Talisman), a strict CSP on the web pages."""

from __future__ import annotations

from flask import request

from .extensions import talisman

# Our pages load scripts and styles from our own origin only: no inline script, no CDN.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# The interactive API docs (Swagger UI, served from our own origin) start with an inline
# script and inline styles; that one page gets a policy that allows them.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)


def init_security(app) -> None:
    talisman.init_app(
        app,
        force_https=app.config.get("FORCE_HTTPS", False),
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        strict_transport_security=app.config.get("FORCE_HTTPS", False),
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        frame_options="DENY",
        x_content_type_options=True,
    )

    def _docs_policy(response):
        if request.path.rstrip("/") == "/api/v1/docs":
            response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    # After-request functions run last-registered first: put this one first in the list so
    # that it runs after Talisman's, which would otherwise overwrite the docs' policy.
    app.after_request_funcs.setdefault(None, []).insert(0, _docs_policy)
