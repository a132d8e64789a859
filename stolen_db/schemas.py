"""Stop Heling request and response schemas (marshmallow)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from .categories import CATEGORIES
from .models import REPORT_STATUSES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RESULTS = ("reported_stolen", "no_report")


def _text(max_length: int, **kwargs):
    return fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=max_length), **kwargs
    )


class CheckArgs(Schema):
    identifier = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "an IMEI, serial number or frame number, as typed"},
    )
    brand = _text(100, metadata={"description": "narrows frame numbers (unique per brand)"})


class CheckResult(Schema):
    identifier = fields.String(metadata={"description": "the identifier as given"})
    result = fields.String(validate=validate.OneOf(RESULTS))
    checked_at = fields.AwareDateTime()
    notice = fields.String(metadata={"description": "a check is not a guarantee"})


class StolenReportIn(Schema):
    report_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reported_at = fields.AwareDateTime(
        required=True,
        default_timezone=AMSTERDAM,
        metadata={"description": "when the theft was reported; without offset: Dutch time"},
    )
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    brand = _text(100)
    model = _text(100)
    imei = _text(64, metadata={"description": "15 digits with a valid check digit"})
    serial_number = _text(100)
    frame_number = _text(100)
    description = _text(2000)


class StolenReportCreated(Schema):
    id = fields.Integer()
    report_number = fields.String()
    status = fields.String(validate=validate.OneOf(REPORT_STATUSES))
    retroactive_hits = fields.Integer(
        metadata={"description": "registered goods this report matched, each now a hit"}
    )


class StolenReportWithdrawn(Schema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(REPORT_STATUSES))
