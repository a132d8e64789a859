"""What the investigation API reads and answers (marshmallow)."""

from __future__ import annotations

import re
from datetime import date

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..apiutil import MAX_PER_PAGE
from ..purchases.models import CATEGORIES
from ..purchases.presenters import SellerOut
from .models import AlertStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SEARCH_CRITERIA = (
    "identifier", "partial", "document_number", "seller_name", "postcode", "q", "category",
    "date_from", "date_to", "municipality",
)  # fmt: skip


def _plain_text(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Control characters are not allowed.")


def _text(max_length: int = 200, **kwargs):
    return fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=max_length), _plain_text],
        **kwargs,
    )


def _date(**kwargs):
    return fields.Date(
        load_default=None,
        validate=validate.Range(
            min=date(1900, 1, 1), max=date(2100, 12, 31), error="Give a date from 1900 to 2100."
        ),
        **kwargs,
    )


class SearchArgs(Schema):
    """A search: a purpose and at least one criterion; all given criteria must hold."""

    class Meta:
        unknown = EXCLUDE

    purpose = _text(metadata={"description": "case number or reason (required; audited)"})
    identifier = _text(100, metadata={"description": "IMEI, serial or frame number: every tier"})
    brand = _text(100, metadata={"description": "with `identifier`: the brand (near matches)"})
    partial = _text(
        100, metadata={"description": "at least 4 characters contained in a normalised identifier"}
    )
    document_number = _text(64, metadata={"description": "the seller's identity document"})
    seller_name = _text(metadata={"description": "the seller's full name (case-blind)"})
    birth_date = _date(metadata={"description": "with `seller_name`: the seller's birth date"})
    postcode = _text(16, metadata={"description": "the seller's postcode (spaces ignored)"})
    q = _text(metadata={"description": "words in brand, model and description (all of them)"})
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    date_from = _date(data_key="from", metadata={"description": "acquired on or after"})
    date_to = _date(data_key="to", metadata={"description": "acquired on or before"})
    municipality = _text(6, metadata={"description": "the dealer's municipality (CBS code)"})
    cursor = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "the `next` of the previous answer (keyset pagination)"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @validates_schema
    def _birth_date_needs_a_name(self, data, **_kwargs):
        if data.get("birth_date") and not data.get("seller_name"):
            raise ValidationError("Give the seller's name with the birth date.", "seller_name")


class MatchOut(Schema):
    kind = fields.String(
        metadata={"description": "exact | normalized | lookalike | near | partial"}
    )
    identifier_type = fields.String()
    confidence = fields.Float(allow_none=True)
    earlier_value = fields.Boolean(
        metadata={"description": "matched a value that a correction has since replaced"}
    )


class SearchPurchaseOut(Schema):
    id = fields.Integer()
    sequence_number = fields.Integer()
    acquired_at = fields.DateTime()
    acquisition_date = fields.Date()
    acquisition_type = fields.String()
    recorded_at = fields.DateTime()
    late = fields.Boolean()


class SearchDealerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    municipality = fields.String(metadata={"description": "CBS code"})
    city = fields.String(allow_none=True)


class SearchItemOut(Schema):
    id = fields.Integer()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    price_cents = fields.Integer(allow_none=True)
    imei = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    frame_number = fields.String(allow_none=True)
    hold_until = fields.Date()


class SearchResultOut(Schema):
    item = fields.Nested(SearchItemOut)
    status = fields.String()
    purchase = fields.Nested(SearchPurchaseOut)
    dealer = fields.Nested(SearchDealerOut)
    seller = fields.Nested(SellerOut, allow_none=True, metadata={"description": "police only"})
    match = fields.Nested(MatchOut, allow_none=True)


class SearchPageOut(Schema):
    items = fields.List(fields.Nested(SearchResultOut))
    total = fields.Integer(
        metadata={"description": "how many results there are in all, counted up to 1,000"}
    )
    total_capped = fields.Boolean(
        metadata={"description": "true: there are more results than `total`"}
    )
    page = fields.Integer(allow_none=True)
    per_page = fields.Integer()
    pages = fields.Integer()
    next = fields.Integer(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page"}
    )


class AlertListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=validate.OneOf(list(AlertStatus)))
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(("frequent_seller", "resold_identifier", "low_price")),
    )
    purpose = _text(metadata={"description": "case number or reason (audited)"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class AlertPurposeArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    purpose = _text(metadata={"description": "case number or reason (audited)"})


class AlertStatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(list(AlertStatus)))
    note = fields.String(load_default=None, validate=[validate.Length(max=2000)], allow_none=True)


class AlertItemOut(Schema):
    id = fields.Integer()
    purchase_id = fields.Integer()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    price_cents = fields.Integer(allow_none=True)
    imei = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    frame_number = fields.String(allow_none=True)
    dealer_id = fields.Integer()
    acquisition_date = fields.Date()


class AlertOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    status = fields.String()
    explanation = fields.String(metadata={"description": "why it fired, in words"})
    reason = fields.Dict(metadata={"description": "why it fired, as figures"})
    note = fields.String(allow_none=True)
    items = fields.List(fields.Nested(AlertItemOut))
    dealers = fields.List(fields.Nested(SearchDealerOut))


class AlertPageOut(Schema):
    items = fields.List(fields.Nested(AlertOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
