"""Hit responses for the police: the match, the item, the dealer and the stolen report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from stolen_db.matching import MATCH_KINDS
from stolen_db.normalize import IDENTIFIER_TYPES

from ..apiutil import PageArgs
from ..clock import aware
from ..inputs import Id, Text


class UtcDateTime(fields.DateTime):
    """A stored timestamp with its offset (SQLite hands timestamps back without one)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(aware(value), attr, obj, **kwargs)


class HitArgs(PageArgs):
    stolen_report_id = Id(metadata={"description": "only hits of this report"})
    dealer_id = Id(metadata={"description": "only hits at this dealer"})
    kind = Text(validate=validate.OneOf(MATCH_KINDS))


class MatchOut(Schema):
    kind = fields.String(validate=validate.OneOf(MATCH_KINDS))
    identifier_type = fields.String(validate=validate.OneOf(IDENTIFIER_TYPES))
    confidence = fields.Float(
        metadata={"description": "exact 1.0, normalized 0.98, lookalike 0.9, near 0.75"}
    )


class HitItemOut(Schema):
    id = fields.Integer()
    purchase_id = fields.Integer()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    imei = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    frame_number = fields.String(allow_none=True)
    status = fields.String()
    registered_at = UtcDateTime(attribute="created_at")


class HitDealerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kvk_number = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    municipality = fields.Function(lambda dealer: dealer.municipality.code)


class HitReportOut(Schema):
    id = fields.Integer()
    report_number = fields.String()
    status = fields.String()
    reported_at = UtcDateTime()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)


class HitOut(Schema):
    id = fields.Integer()
    created_at = UtcDateTime()
    trigger = fields.String(validate=validate.OneOf(("registration", "theft_report")))
    match = fields.Function(
        lambda hit: MatchOut().dump(
            {
                "kind": hit.match_kind,
                "identifier_type": hit.identifier_type,
                "confidence": hit.confidence,
            }
        ),
        metadata={"description": "kind, identifier type and confidence of the match"},
    )
    item = fields.Nested(HitItemOut)
    dealer = fields.Nested(HitDealerOut)
    stolen_report = fields.Nested(HitReportOut)
