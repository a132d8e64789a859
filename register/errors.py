"""Errors: RFC 9457 problem details for the API, HTML pages for people.

Every API error — ours, webargs' validation errors, Werkzeug's 404/405/413/415, Flask-Limiter's
429 and any unexpected exception — leaves as ``application/problem+json``. A 500 never carries
a traceback.
"""

from __future__ import annotations

import logging

from flask import Response, json, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://dealer-register.example/problems/"
PROBLEM_MIMETYPE = "application/problem+json"

# A short stable name per status: the problem "type" URI and a default title.
_PROBLEM_NAMES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed for your role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Validation failed"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("busy", "The register is busy"),
}

BUSY_RETRY_AFTER = "5"  # seconds: a waiting writer gets SQLite's lock within a chunk or two


class ApiProblem(HTTPException):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self, status: int, detail: str | None = None, *, errors=None, title=None, headers=None
    ):
        super().__init__(description=detail)
        self.code = status
        self.errors = errors
        self.title = title
        self.extra_headers = headers or {}


def abort_problem(status: int, detail: str | None = None, *, errors=None, title=None, headers=None):
    raise ApiProblem(status, detail, errors=errors, title=title, headers=headers)


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: dict | None = None,
    headers=None,
) -> Response:
    name, default_title = _PROBLEM_NAMES.get(status, ("error", "Error"))
    body = {
        "type": PROBLEM_TYPE_BASE + name,
        "title": title or default_title,
        "status": status,
        "detail": detail or default_title,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict as flat field paths: {"items.0.imei": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, sub_messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(sub_messages)
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            flat[prefix or "_schema"] = list(messages)
        else:
            for message in messages:
                for sub_path, sub_messages in flatten_errors(message, prefix).items():
                    flat.setdefault(sub_path, []).extend(sub_messages)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def webargs_errors(exc: HTTPException) -> dict | None:
    """The field errors webargs attached to a 422, without its location level."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if not messages:
        return None
    merged: dict[str, list[str]] = {}
    for _location, fields in messages.items():  # "json", "query", "form", ...
        merged.update(flatten_errors(fields))
    return merged


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def handle_http_exception(exc: HTTPException):
    """Shared by the app and flask-smorest: one rendering of every HTTP error."""
    status = exc.code or 500
    if not is_api_request():
        return render_error_page(status, exc)
    if isinstance(exc, ApiProblem):
        return problem_response(
            status, exc.description, title=exc.title, errors=exc.errors, headers=exc.extra_headers
        )
    errors = webargs_errors(exc) if status in (400, 422) else None
    detail = exc.description
    if status == 422 and errors:
        detail = "The request has invalid fields: " + ", ".join(sorted(errors)) + "."
    elif status == 400 and errors:  # webargs' "Invalid JSON body."
        detail = "; ".join(m for msgs in errors.values() for m in msgs)
        errors = None
    headers = {}
    if status == 429:
        headers = _retry_after(exc)
    elif status == 405 and getattr(exc, "valid_methods", None):
        headers = {"Allow": ", ".join(exc.valid_methods)}
    if status >= 500:
        detail = None  # never leak internals
    return problem_response(status, detail, errors=errors, headers=headers)


def _retry_after(exc: HTTPException) -> dict:
    """Retry-After for a 429, from Flask-Limiter's breached limit."""
    limit = getattr(exc, "limit", None)
    seconds = 60
    if limit is not None:
        try:
            seconds = int(limit.limit.get_expiry())
        except Exception:  # pragma: no cover - older limiter objects
            seconds = 60
    return {"Retry-After": str(seconds)}


def database_busy(exc: BaseException | None) -> bool:
    """SQLite's write lock stayed taken for all of ``busy_timeout``: the request changed
    nothing (it rolls back) and may simply be sent again, so it is a 503, not a fault."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def handle_unexpected(exc: InternalServerError):
    original = getattr(exc, "original_exception", None)
    if database_busy(original):
        log.warning("write lock not free on %s %s", request.method, request.path)
        headers = {"Retry-After": BUSY_RETRY_AFTER}
        if is_api_request():
            detail = "The register is busy; nothing was stored. Send the request again."
            return problem_response(503, detail, headers=headers)
        response = render_error_page(503, exc)
        response.headers.update(headers)
        return response
    if original is not None:
        log.exception("unhandled error on %s %s", request.method, request.path, exc_info=original)
    if is_api_request():
        return problem_response(500)
    return render_error_page(500, exc)


def render_error_page(status: int, exc: HTTPException):
    try:
        body = render_template("error.html", status=status, exc=exc)
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        body = f"<h1>{status}</h1>"
    response = Response(body, status=status, mimetype="text/html")
    if status == 429:
        response.headers.update(_retry_after(exc))
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def init_app(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
