"""Security headers on every response (Flask-Talisman), a strict CSP on the web pages."""

from __future__ import annotations

from .extensions import talisman

# Our pages load scripts and styles from our own origin only: no inline script, no CDN. The
# API docs too (register/templates/swagger_ui.html starts Swagger UI from a static file).
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
