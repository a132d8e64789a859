"""A signed-in user's long-lived API tokens: GET/POST /api/v1/tokens, DELETE .../{id}."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts.authz import require_role
from ..apiutil import PageArgs, page_schema, paginate
from ..clock import utcnow
from ..dealers.schemas import Timestamp
from ..errors import abort_problem
from ..extensions import db
from .models import ROLE_VALUES, User
from .tokens import create_long_lived_token, own_tokens, revoke_own_token

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description="Your own long-lived API tokens (a till, a police system)",
)


class TokenIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String(attribute="label")
    created_at = Timestamp()
    last_used_at = Timestamp(allow_none=True)


class NewTokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    token = fields.String(metadata={"description": "shown this once; only its hash is kept"})


TokenPage = page_schema(TokenOut, "TokenPage")


@blp.route("", methods=["GET"])
@require_role(*ROLE_VALUES)
@blp.arguments(PageArgs, location="query")
@blp.response(200, TokenPage)
def list_tokens(args):
    """Your tokens that are not revoked, newest first, with their last use."""
    statement = own_tokens(g.principal.user_id)
    return paginate(db.session, statement, args["page"], args["per_page"])


@blp.route("", methods=["POST"])
@require_role(*ROLE_VALUES)
@blp.arguments(TokenIn)
@blp.response(201, NewTokenOut)
def create_token(data):
    """Create a named long-lived token; the answer is the only time it is shown."""
    user = db.session.get(User, g.principal.user_id)
    name = data["name"].strip()
    if not name:
        abort_problem(422, "Give the token a name.", errors={"name": ["Give the token a name."]})
    row, token = create_long_lived_token(db.session, user, name, now=utcnow())
    return {"id": row.id, "name": row.label, "token": token}


@blp.route("/<int:token_id>", methods=["DELETE"])
@require_role(*ROLE_VALUES)
@blp.response(204)
def delete_token(token_id: int):
    """Revoke one of your tokens: it is refused from now on."""
    if not revoke_own_token(db.session, g.principal.user_id, token_id, now=utcnow()):
        abort_problem(404, "No such token.")
