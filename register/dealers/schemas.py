"""DOL request and response schemas (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..apiutil import PageArgs
from ..clock import aware
from ..inputs import Date, Id, Text
from ..purchases.models import CATEGORIES
from .meldplicht import DECISIONS, REPORT_STATUSES, REPORT_TYPES


class Timestamp(fields.DateTime):
    """ISO 8601 with its offset (SQLite hands back naive UTC datetimes)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(aware(value), attr, obj, **kwargs)


class AddressSchema(Schema):
    street = Text(validate=validate.Length(max=200), allow_none=True)
    house_number = Text(validate=validate.Length(max=20), allow_none=True)
    postcode = Text(validate=validate.Length(max=16), allow_none=True)
    city = Text(validate=validate.Length(max=100), allow_none=True)
    country = Text(validate=validate.Length(equal=2), allow_none=True)


class ContactSchema(Schema):
    name = Text(validate=validate.Length(max=200), allow_none=True)
    phone = Text(validate=validate.Length(max=40), allow_none=True)
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)


class BusinessSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kvk_number = Text(
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "8 digits; foreign dealers have none and give their country"},
    )
    country = Text(
        validate=validate.Length(equal=2), metadata={"description": "ISO code, default NL"}
    )
    address = fields.Nested(AddressSchema, load_default=dict)
    contact = fields.Nested(ContactSchema, load_default=dict)
    goods_categories = fields.List(Text(validate=validate.OneOf(CATEGORIES)), load_default=list)


class ReportCreateSchema(Schema):
    type = Text(required=True, validate=validate.OneOf(REPORT_TYPES))
    effective_date = Date(
        required=True,
        metadata={"description": "first trading day (start), or the day of the change or stop"},
    )
    municipality = Text(
        validate=validate.Length(max=6),
        metadata={"description": "CBS code of the municipality where the dealer trades"},
    )
    business = fields.Nested(
        BusinessSchema,
        load_default=None,
        metadata={"description": "required for start and change; a stop repeats the dealer's"},
    )


class DealerRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    status = fields.String()


class ReportSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    status = fields.String(metadata={"description": "submitted | accepted | rejected"})
    timely = fields.Boolean()
    deadline = fields.Date()
    effective_date = fields.Date()
    submitted_at = Timestamp()
    municipality = fields.Function(lambda r: r.municipality.code)
    dealer = fields.Nested(DealerRefSchema)
    business = fields.Function(
        lambda r: {
            "name": r.business_name,
            "kvk_number": r.kvk_number,
            "country": r.country,
            "address": r.address,
            "contact": r.contact,
            "goods_categories": list(r.goods_categories or []),
        }
    )
    decision = fields.Function(
        lambda r: (
            None
            if r.decided_at is None
            else {
                "decision": r.status,
                "reason": r.decision_reason,
                "decided_at": aware(r.decided_at).isoformat(),
            }
        )
    )


class ReportQuerySchema(PageArgs):
    status = Text(validate=validate.OneOf(REPORT_STATUSES))
    type = Text(validate=validate.OneOf(REPORT_TYPES))
    dealer_id = Id()
    timely = fields.Boolean()


class DecisionSchema(Schema):
    decision = Text(required=True, validate=validate.OneOf(DECISIONS))
    reason = Text(multiline=True, validate=validate.Length(max=2000), allow_none=True)
