"""DOC request and response schemas (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..apiutil import PageArgs
from ..dealers.schemas import DealerRefSchema, Timestamp
from ..inputs import Id, Text
from ..inputs import Timestamp as TimestampIn
from .models import OUTCOMES, TASK_REASONS
from .service import MAX_GOODS_CHECK


class ChecksSchema(Schema):
    registered_with_municipality = fields.Boolean(required=True)
    register_kept = fields.Boolean(required=True)
    entries_complete = fields.Boolean(required=True)
    holding_period_respected = fields.Boolean(required=True)
    stock_matches_register = fields.Boolean(required=True)


class InspectionCreateSchema(Schema):
    dealer_id = Id(required=True)
    inspected_at = TimestampIn(
        required=True,
        metadata={"description": "ISO 8601 with its offset, kept as given"},
    )
    task_id = Id(allow_none=True, metadata={"description": "the task it answers"})
    checks = fields.Nested(ChecksSchema, required=True)
    findings = Text(multiline=True, validate=validate.Length(max=10000), allow_none=True)
    outcome = Text(required=True, validate=validate.OneOf(OUTCOMES))
    identifiers = fields.List(
        Text(validate=validate.Length(max=100)),
        validate=validate.Length(max=MAX_GOODS_CHECK),
        load_default=list,
        metadata={"description": "identifiers of goods found in the shop (the goods check)"},
    )


class GoodsItemSchema(Schema):
    id = fields.Integer()
    purchase_id = fields.Integer()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    status = fields.String()
    hold_until = fields.String()


class GoodsResultSchema(Schema):
    identifier = fields.String()
    result = fields.String(
        metadata={
            "description": "not_registered | in_holding_period | police_hold | "
            "registered_as_sold | registered"
        }
    )
    problem = fields.Boolean()
    item = fields.Nested(GoodsItemSchema, allow_none=True)


class InspectionSchema(Schema):
    id = fields.Integer()
    dealer = fields.Nested(DealerRefSchema)
    municipality = fields.Function(lambda i: _municipality_code(i))
    officer = fields.Function(lambda i: i.officer.email if i.officer else None)
    task_id = fields.Integer(allow_none=True)
    inspected_at = Timestamp(attribute="inspected_at_as_given")  # with the offset it was given
    recorded_at = Timestamp()
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean())
    findings = fields.String(allow_none=True)
    outcome = fields.String()
    flagged_for_municipality = fields.Boolean()
    follow_up_task_id = fields.Integer(allow_none=True)
    goods_check = fields.List(fields.Nested(GoodsResultSchema), allow_none=True)


def _municipality_code(inspection) -> str | None:
    from ..dealers.models import Municipality
    from ..extensions import db

    municipality = db.session.get(Municipality, inspection.municipality_id)
    return municipality.code if municipality else None


class InspectionQuerySchema(PageArgs):
    dealer_id = Id()
    outcome = Text(validate=validate.OneOf(OUTCOMES))
    flagged = fields.Boolean(metadata={"description": "only official reports for the municipality"})


class TaskSchema(Schema):
    id = fields.Function(lambda e: e.task.id)
    reason = fields.Function(lambda e: e.task.reason)
    score = fields.Integer(metadata={"description": "the risk score that orders the queue"})
    dealer_risk = fields.Integer()
    dealer = fields.Function(lambda e: DealerRefSchema().dump(e.task.dealer))
    municipality = fields.Function(lambda e: e.task.dealer.municipality.code)
    details = fields.Function(lambda e: e.task.details)
    status = fields.Function(lambda e: e.task.status)
    due_date = fields.Function(lambda e: e.task.due_date.isoformat() if e.task.due_date else None)
    created_at = fields.Function(lambda e: Timestamp()._serialize(e.task.created_at, None, None))


class TaskQuerySchema(PageArgs):
    reason = Text(validate=validate.OneOf(TASK_REASONS))
    dealer_id = Id()


class GoodsCheckSchema(Schema):
    dealer_id = Id(required=True)
    identifiers = fields.List(
        Text(validate=validate.Length(max=100)),
        required=True,
        validate=validate.Length(min=1, max=MAX_GOODS_CHECK),
    )


class GoodsCheckResultSchema(Schema):
    dealer_id = fields.Integer()
    checked_at = Timestamp()
    problems = fields.Integer()
    results = fields.List(fields.Nested(GoodsResultSchema))
