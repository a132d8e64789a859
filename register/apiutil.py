"""API conventions shared by every endpoint: JSON bodies, pagination, the OpenAPI object."""

from __future__ import annotations

import math

from flask import request
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import abort_problem, handle_http_exception

MAX_PER_PAGE = 500

# Endpoints whose body is not JSON (CSV uploads); everything else under /api/ speaks JSON.
NON_JSON_ENDPOINTS: set[str] = set()


class RegisterApi(Api):
    """flask-smorest's Api, with our problem+json error rendering."""

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def guard_json_body() -> None:
    """Before every API request: a body must be a JSON object (400) sent as JSON (415)."""
    if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.endpoint in NON_JSON_ENDPOINTS:
        return
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if not has_body:
        return  # bodiless actions such as /withdraw; schemas report missing fields as 422
    if not request.is_json:
        abort_problem(415, "Send the request body as JSON with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        abort_problem(400, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        abort_problem(400, "The request body must be a JSON object.")


def refuse(exc: Exception, *, conflicts: tuple[type[Exception], ...] = ()):
    """Answer a rule a service refused: 409 for a state conflict, else 422 naming the field.

    The answer is an error, so the request hook rolls back whatever the request wrote.
    """
    if isinstance(exc, conflicts):
        abort_problem(409, str(exc))
    field = getattr(exc, "field", None) or "_schema"
    abort_problem(422, str(exc), errors={field: [str(exc)]})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
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
    rows = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {
        "items": rows,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page) if total else 0,
    }
