"""Accounts over the API: GET/POST /api/v1/accounts, POST .../{id}/deactivate."""

from __future__ import annotations

from flask import g
from flask_babel import get_locale
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..apiutil import PageArgs, page_schema, paginate
from ..clock import utcnow
from ..dealers.schemas import Timestamp
from ..errors import abort_problem
from ..extensions import db
from .authz import require_role
from .management import (
    FieldError,
    OutOfScope,
    account_in_scope,
    accounts_in_scope,
    deactivate,
    invite,
)
from .models import ROLE_VALUES

blp = Blueprint(
    "account_management",
    __name__,
    url_prefix="/api/v1/accounts",
    description="Accounts: admins any; a municipality its staff and enforcement officers; "
    "a dealer its staff",
)

MANAGERS = ("admin", "municipality", "dealer")


class AccountIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))
    dealer_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**63 - 1))
    municipality = fields.String(allow_none=True, validate=validate.Length(max=6))
    language = fields.String(
        validate=validate.OneOf(("nl", "en")),
        metadata={"description": "the invitation's language (default: the request's)"},
    )


class AccountOut(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    dealer_id = fields.Integer(allow_none=True)
    municipality = fields.Function(
        lambda user: user.municipality.code if user.municipality else None, allow_none=True
    )
    active = fields.Boolean(attribute="is_active_account")
    created_at = Timestamp()


AccountPage = page_schema(AccountOut, "AccountPage")


@blp.route("", methods=["GET"])
@require_role(*MANAGERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, AccountPage)
def list_accounts(args):
    """The accounts you manage, by e-mail address."""
    return paginate(db.session, accounts_in_scope(g.principal), args["page"], args["per_page"])


@blp.route("", methods=["POST"])
@require_role(*MANAGERS)
@blp.arguments(AccountIn)
@blp.response(201, AccountOut)
def create_account(data):
    """Invite a person: the account is made and mailed a one-time link (72 hours) to set
    its password."""
    try:
        return invite(
            db.session,
            g.principal,
            email=data["email"],
            role=data["role"],
            dealer_id=data.get("dealer_id"),
            municipality_code=data.get("municipality"),
            language=data.get("language") or str(get_locale() or "nl"),
            now=utcnow(),
        )
    except OutOfScope:
        abort_problem(404, "No such dealer or municipality.")
    except FieldError as exc:
        abort_problem(422, str(exc), errors={exc.field: [str(exc)]})


@blp.route("/<int:account_id>/deactivate", methods=["POST"])
@require_role(*MANAGERS)
@blp.response(200, AccountOut)
def deactivate_account(account_id: int):
    """Deactivate an account: its sessions and tokens end at once."""
    account = account_in_scope(db.session, g.principal, account_id)
    if account is None:
        abort_problem(404, "No such account.")
    try:
        deactivate(db.session, g.principal, account, now=utcnow())
    except FieldError as exc:
        abort_problem(422, str(exc), errors={exc.field: [str(exc)]})
    return account
