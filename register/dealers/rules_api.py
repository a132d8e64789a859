"""Municipal rules over the API: /api/v1/municipalities/{code}/rules."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..accounts.authz import require_role
from ..accounts.models import Role
from ..clock import clock, utcnow
from ..errors import abort_problem
from ..extensions import db
from .models import Municipality
from .rules import RuleError, RuleValues, rule_in_force, set_rule

blp = Blueprint(
    "municipal_rules",
    __name__,
    url_prefix="/api/v1/municipalities",
    description="Municipal rules: holding period, seller age, deadlines, versioned by date",
)

ALL_ROLES = ("dealer", "municipality", "enforcement", "police", "admin")


class HoldingPeriodSchema(Schema):
    days = fields.Integer(required=True, metadata={"description": "3 to 14"})
    working_days = fields.Boolean(required=True)


class RuleSchema(Schema):
    municipality = fields.String(dump_only=True)
    holding_period = fields.Nested(HoldingPeriodSchema, required=True)
    minimum_seller_age = fields.Integer(required=True, validate=validate.Range(0, 100))
    registration_deadline_working_days = fields.Integer(
        required=True, validate=validate.Range(0, 30)
    )
    buyer_required_on_sale = fields.Boolean(required=True)
    effective_from = fields.Date(
        allow_none=True,
        metadata={
            "description": "the first day the rule applies (default today); null in an "
            "answer: the municipality's base rule, in force before its first version"
        },
    )


class RuleQuerySchema(Schema):
    at = fields.Date(metadata={"description": "the day to show the rule of (default today)"})


def _municipality(code: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        abort_problem(404, "No such municipality.")
    return municipality


def _answer(municipality: Municipality, rule: RuleValues) -> dict:
    return {
        "municipality": municipality.code,
        **rule.as_json(),
        "effective_from": rule.effective_from,
    }


@blp.route("/<code>/rules", methods=["GET"])
@require_role(*ALL_ROLES)
@blp.arguments(RuleQuerySchema, location="query")
@blp.response(200, RuleSchema)
def get_rules(query, code: str):
    """The rule in force today, or on ``at``."""
    municipality = _municipality(code)
    day = query.get("at") or clock().today()
    return _answer(municipality, rule_in_force(municipality, day))


@blp.route("/<code>/rules", methods=["PUT"])
@require_role("municipality", "admin")
@blp.arguments(RuleSchema)
@blp.response(200, RuleSchema)
def put_rules(data, code: str):
    """Set the rule from ``effective_from`` (today or later) on: that municipality, admin."""
    municipality = _municipality(code)
    if g.principal.role == Role.MUNICIPALITY and g.principal.municipality_id != municipality.id:
        abort_problem(404, "No such municipality.")
    today = clock().today()
    values = RuleValues(
        holding_period=data["holding_period"]["days"],
        holding_period_unit="working_days" if data["holding_period"]["working_days"] else "days",
        minimum_seller_age=data["minimum_seller_age"],
        registration_grace_working_days=data["registration_deadline_working_days"],
        buyer_required_on_sale=data["buyer_required_on_sale"],
        effective_from=data.get("effective_from") or today,
    )
    try:
        rule = set_rule(
            db.session, municipality, values, today=today, now=utcnow(), user_id=g.principal.user_id
        )
    except RuleError as exc:
        abort_problem(422, "The rule cannot be set.", errors=exc.errors)
    return _answer(municipality, rule)
