"""Stop Heling request and response schemas (marshmallow)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate

from .categories import CATEGORIES
from .models import REPORT_STATUSES
from .service import N_

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RESULTS = ("reported_stolen", "no_report")


# The register's input rules for text and timestamps (API.md "Input rules"), kept here as
# this package knows nothing of the register: no control characters (newline and tab only in
# free text), no unpaired surrogates, non-characters or bidirectional overrides; timestamps
# with an offset, in 1900..2100.
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_NOT_ONE_LINE = re.compile("[\t\n]")


def _storable_text(multiline: bool):
    def check(value: str) -> None:
        if _NOT_TEXT.search(value.replace("\r\n", "\n") if multiline else value):
            raise ValidationError(N_("Remove control characters and invisible direction marks."))
        if not multiline and _NOT_ONE_LINE.search(value):
            raise ValidationError(N_("Use one line, without tabs."))

    return check


# Field messages in words the web form translates (marshmallow's own name their numbers
# inside the text, which no catalogue can hold).
AT_MOST = {
    64: N_("At most 64 characters."),
    100: N_("At most 100 characters."),
    2000: N_("At most 2000 characters."),
}
UNKNOWN_CATEGORY = N_("Unknown category.")


def _text(max_length: int, *, multiline: bool = False, **kwargs):
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=max_length, error=AT_MOST[max_length]),
            _storable_text(multiline),
        ],
        **kwargs,
    )


def _in_years(moment: datetime) -> None:
    if not 1900 <= moment.year <= 2100:
        raise ValidationError(N_("Give a date between 1900 and 2100."))


class CheckArgs(Schema):
    identifier = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=100, error=N_("Give 1 to 100 characters.")),
            _storable_text(False),
        ],
        metadata={"description": "an IMEI, serial number or frame number, as typed"},
    )
    brand = _text(100, metadata={"description": "narrows frame numbers (unique per brand)"})


class CheckResult(Schema):
    identifier = fields.String(metadata={"description": "the identifier as given"})
    result = fields.String(validate=validate.OneOf(RESULTS))
    checked_at = fields.AwareDateTime()
    notice = fields.String(metadata={"description": "a check is not a guarantee"})


class StolenReportIn(Schema):
    report_number = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64, error=N_("Give the report number: 1 to 64 characters.")),
            _storable_text(False),
        ],
    )
    reported_at = fields.AwareDateTime(
        required=True,
        validate=_in_years,
        metadata={"description": "when the theft was reported, ISO 8601 with its offset"},
    )
    category = fields.String(
        required=True, validate=validate.OneOf(CATEGORIES, error=UNKNOWN_CATEGORY)
    )
    brand = _text(100)
    model = _text(100)
    imei = _text(64, metadata={"description": "15 digits with a valid check digit"})
    serial_number = _text(100)
    frame_number = _text(100)
    description = _text(2000, multiline=True)

    def __init__(self, *args, naive_time_zone=None, **kwargs):
        """``naive_time_zone``: read a ``reported_at`` without offset in this zone (a web
        form's local time, a batch file's documented Dutch time) instead of refusing it."""
        super().__init__(*args, **kwargs)
        if naive_time_zone is not None:
            self.fields["reported_at"].default_timezone = naive_time_zone


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
