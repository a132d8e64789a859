"""Report request and response schemas."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..inputs import Date, Text


class SummaryQuerySchema(Schema):
    from_ = Date(data_key="from", metadata={"description": "first day (default: 1 January)"})
    to = Date(metadata={"description": "last day, inclusive (default: today)"})
    municipality = Text(
        validate=validate.Length(max=6), metadata={"description": "CBS code, e.g. GM0363"}
    )

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("'from' must not be after 'to'", "from")


class NotificationCountsSchema(Schema):
    delivered = fields.Integer()
    pending = fields.Integer(metadata={"description": "waiting or being delivered"})
    dead = fields.Integer(metadata={"description": "given up; an administrator can resend"})


class OutcomeCountsSchema(Schema):
    compliant = fields.Integer()
    warning = fields.Integer()
    official_report = fields.Integer()
    total = fields.Integer()


class SummarySchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    municipality = fields.Dict(allow_none=True, metadata={"description": "code and name"})
    dealers = fields.Dict(
        metadata={
            "description": "connected: dealers connected to the DOR; municipalities: how many "
            "municipalities they are in; by_status: every dealer by status"
        }
    )
    meldplicht = fields.Dict(
        metadata={"description": "DOL reports filed in the period by status, total, late, by_type"}
    )
    purchases = fields.Integer(metadata={"description": "acquisitions registered"})
    items = fields.Integer(metadata={"description": "items registered"})
    hits = fields.Integer()
    police_notifications = fields.Nested(NotificationCountsSchema)
    inspections = fields.Nested(OutcomeCountsSchema)
    open_inspection_tasks = fields.Integer(metadata={"description": "open now"})
