"""GET /api/v1/hits: the police's list of hits, newest first."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts.authz import require_role
from ..apiutil import page_schema, paginate
from ..clock import utcnow
from ..errors import abort_problem
from ..extensions import db
from ..inputs import Text
from ..purchases.models import Item
from .decisions import DECISIONS, NotOnHold, decide
from .queries import hits_statement
from .schemas import HitArgs, HitOut

blp = Blueprint(
    "hits", __name__, url_prefix="/api/v1", description="Hits: registered goods reported stolen"
)


@blp.route("/hits")
@require_role("police")
@blp.arguments(HitArgs, location="query")
@blp.response(200, page_schema(HitOut, "HitPage"))
def list_hits(args):
    """Hits, newest first, each with its match, the item, the dealer and the stolen report."""
    statement = hits_statement(
        stolen_report_id=args.get("stolen_report_id"),
        dealer_id=args.get("dealer_id"),
        kind=args.get("kind"),
    )
    return paginate(db.session, statement, args["page"], args["per_page"])


class PoliceDecisionIn(Schema):
    decision = Text(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    note = Text(multiline=True, load_default=None, validate=validate.Length(max=2000))


class PoliceDecisionOut(Schema):
    id = fields.Integer()
    status = fields.String()


@blp.route("/items/<int:item_id>/police-decision", methods=["POST"])
@require_role("police")
@blp.arguments(PoliceDecisionIn)
@blp.response(200, PoliceDecisionOut)
@blp.alt_response(409, description="the item is not on police hold")
def police_decision(args, item_id: int):
    """Seize a held item, or release it to the dealer (who may then sell it)."""
    item = db.session.get(Item, item_id)
    if item is None:
        abort_problem(404, "No such item.")
    try:
        decide(
            db.session,
            item,
            args["decision"],
            user_id=g.principal.user_id,
            note=args["note"],
            now=utcnow(),
        )
    except NotOnHold:
        abort_problem(
            409,
            f"This item is {item.status}: only an item on police hold can be seized or released.",
        )
    return {"id": item.id, "status": item.status}
