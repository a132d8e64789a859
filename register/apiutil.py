"""API conventions shared by every endpoint: JSON bodies, pagination, the OpenAPI object."""

from __future__ import annotations

import math

from flask import abort, current_app, request
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import abort_problem, handle_http_exception
from .inputs import TEXT_NOT_ALLOWED, PageNumber, never_allowed

MAX_PER_PAGE = 500

# Endpoints whose body is not JSON (CSV uploads); everything else under /api/ speaks JSON.
NON_JSON_ENDPOINTS: set[str] = set()


class RegisterApi(Api):
    """flask-smorest's Api, with our problem+json error rendering."""

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def guard_web_input() -> None:
    """Before every web page: query text no field accepts, or a NUL in a form (which no
    database column can hold), is a 400 page naming the field. Other characters in forms
    are left to the forms' schemas, which show their message next to the field."""
    if request.path.startswith("/api/"):
        return
    names = [
        name
        for name, text in request.args.items(multi=True)
        if never_allowed(text) or never_allowed(name)
    ]
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        names += [name for name, text in request.form.items(multi=True) if "\x00" in text + name]
    if names:
        abort(
            400,
            description="These fields hold characters that cannot be stored: "
            + ", ".join(sorted({repr(name) for name in names})),
        )


def guard_json_body() -> None:
    """Before every API request: a body must be a JSON object (400) sent as JSON (415), given
    where the endpoint needs one (400), readable by the strict parser (400), and its text free
    of characters no field accepts (422 naming the field)."""
    if not request.path.startswith("/api/"):
        return
    refuse_unreadable_text(request.args.items(multi=True), location="query")
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if not has_body:
        if _needs_body(request.endpoint) and _caller_allowed(request.endpoint):
            abort_problem(400, "Send the request body.")
        return  # bodiless actions such as /withdraw; or the view answers 401/403 first
    if request.endpoint in NON_JSON_ENDPOINTS:
        return
    if not request.is_json:
        abort_problem(415, "Send the request body as JSON with Content-Type: application/json.")
    data = request.get_json()  # the strict parser: 400 saying why it cannot be read
    if not isinstance(data, dict):
        abort_problem(400, "The request body must be a JSON object.")
    refuse_unreadable_text(_strings(data), location="body")


def _needs_body(endpoint: str | None) -> bool:
    """Whether the endpoint's OpenAPI description says it takes a required body."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    apidoc = getattr(view, "_apidoc", None) or {}
    arguments = apidoc.get("arguments", {}).get("parameters", [])
    if any(a.get("location", a.get("in")) == "json" and a.get("required") for a in arguments):
        return True
    return bool(apidoc.get("manual_doc", {}).get("requestBody", {}).get("required"))


def _caller_allowed(endpoint: str) -> bool:
    """Whether the caller passes the endpoint's role check (401 and 403 come before 400)."""
    from .accounts.authz import api_user

    roles = getattr(current_app.view_functions.get(endpoint), "allowed_roles", None)
    if roles is None:
        return True
    user = api_user()
    return user is not None and user.role in roles


def _strings(value, path: str = ""):
    """Every text in a parsed JSON document, keys included, with its field path."""
    if isinstance(value, str):
        yield path or "_schema", value
    elif isinstance(value, dict):
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            yield sub_path, key
            yield from _strings(sub, sub_path)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _strings(sub, f"{path}.{index}" if path else str(index))


def refuse_unreadable_text(named_texts, *, location: str) -> None:
    """422 naming every field whose text holds a character that no field accepts."""
    errors = {
        name.encode("utf-8", "backslashreplace").decode("utf-8"): [str(TEXT_NOT_ALLOWED)]
        for name, text in named_texts
        if never_allowed(text) or never_allowed(name)
    }
    if errors:
        abort_problem(
            422,
            f"The {location} has text that cannot be stored: " + ", ".join(sorted(errors)),
            errors=errors,
        )


def refuse(exc: Exception, *, conflicts: tuple[type[Exception], ...] = ()):
    """Answer a rule a service refused: 409 for a state conflict, else 422 naming the field.

    The answer is an error, so the request hook rolls back whatever the request wrote.
    """
    if isinstance(exc, conflicts):
        abort_problem(409, str(exc))
    field = getattr(exc, "field", None) or "_schema"
    abort_problem(422, str(exc), errors={field: [str(exc)]})


class PageArgs(Schema):
    page = PageNumber()
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A response schema for one page of ``item_schema``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(metadata={"description": "how many there are in all"}),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "pages": fields.Integer(),
        },
        name=name,
    )


def paginate(session: Session, statement, page: int, per_page: int) -> dict:
    """One page of ``statement``'s rows and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    offset = (page - 1) * per_page
    rows = (
        session.scalars(statement.limit(per_page).offset(offset)).unique().all()
        if offset < total
        else []  # past the end: also keeps an offset beyond the database's integers unsent
    )
    return {
        "items": rows,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page) if total else 0,
    }
