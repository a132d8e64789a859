"""What a registration, correction or sale must look like (marshmallow 4).

The schemas check each field (formats, the IMEI check digit, Dutch postcodes, categories) and,
given the dealer's ``RegistrationRules``, the rules that depend on who registers and when
(seller age, donations, identifiers a category needs, no acquisition in the future). Errors
name the field as a path (``items.1.imei``); every rule reports at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from stolen_db.normalize import is_valid_imei, normalize_imei, normalize_serial

from ..clock import AMSTERDAM
from ..inputs import Date, Id, Money, Text, Timestamp
from .messages import REQUIRED_MESSAGES, Message
from .models import ACQUISITION_TYPES, CATEGORIES, ID_DOCUMENT_TYPES

# How far ahead of the server clock an acquisition time may be (a till's clock drifts).
CLOCK_SKEW = timedelta(minutes=5)
# How far back an acquisition may be registered: the register keeps seller data this long
# (config SELLER_DATA_RETENTION_DAYS), so an older entry would be outside what it holds.
OLDEST_ACQUISITION = timedelta(days=4 * 365 + 1)

# Which identifier each category needs, and under which field the error is shown.
IMEI_OR_SERIAL = ("phone", "tablet")
SERIAL_ONLY = ("laptop", "computer", "ict_other")
FRAME_ONLY = ("bicycle", "e_bike")
NEEDS_IDENTIFIER = IMEI_OR_SERIAL + SERIAL_ONLY + FRAME_ONLY

_POSTCODE = re.compile(r"^([1-9][0-9]{3}) ?([A-Z]{2})$")
_IMEI_CHARS = re.compile(r"^[0-9 ./-]+$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class RegistrationRules:
    """What the dealer's kind and municipality decide about a registration."""

    dealer_kind: str
    minimum_seller_age: int
    now: datetime
    oldest_acquisition: timedelta = OLDEST_ACQUISITION

    @property
    def today(self) -> date:
        return self.now.astimezone(AMSTERDAM).date()


def _text(max_length: int, *, multiline: bool = False, **kwargs) -> Text:
    return Text(
        multiline=multiline,
        validate=validate.Length(
            max=max_length, error=Message("Use at most %(max)s characters.", max=max_length)
        ),
        error_messages=REQUIRED_MESSAGES,
        **kwargs,
    )


def _required_text(max_length: int) -> Text:
    return Text(
        required=True,
        validate=validate.Length(
            min=1,
            max=max_length,
            error=Message("Use between 1 and %(max)s characters.", max=max_length),
        ),
        error_messages=REQUIRED_MESSAGES,
    )


def _country(**kwargs) -> Text:
    return Text(
        validate=validate.Regexp(
            _COUNTRY, error=Message("Use the two-letter country code, e.g. NL, BE or DE.")
        ),
        error_messages=REQUIRED_MESSAGES,
        **kwargs,
    )


def normalise_postcode(value: str) -> str:
    """'1017gc' and '1017 GC' as '1017 GC'."""
    match = _POSTCODE.match(value.strip().upper())
    return f"{match.group(1)} {match.group(2)}" if match else value


def imei_problem(value: str) -> Message | None:
    """Why ``value`` is not a valid IMEI, or None."""
    if not _IMEI_CHARS.match(value):
        return Message("An IMEI contains digits only.")
    digits = normalize_imei(value)
    if len(digits) != 15:
        return Message("An IMEI has 15 digits; this one has %(count)s.", count=len(digits))
    if not is_valid_imei(digits):
        return Message(
            "This IMEI's check digit is wrong: check the number on the device (dial *#06#)."
        )
    return None


class AddressIn(Schema):
    class Meta:
        unknown = RAISE

    street = _required_text(200)
    house_number = _required_text(20)
    postcode = _text(16, load_default=None)
    city = _required_text(100)
    country = _country(load_default="NL")

    @pre_load
    def _upper_country(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("country"), str):
            data = {**data, "country": data["country"].strip().upper()}
        return data

    @validates_schema(skip_on_field_errors=False)
    def _dutch_postcode(self, data, **kwargs):
        if data.get("country", "NL") != "NL" or "postcode" not in data:
            return
        postcode = data.get("postcode")
        if not postcode:
            raise ValidationError({"postcode": [Message("Enter the postcode.")]})
        if not _POSTCODE.match(postcode.strip().upper()):
            raise ValidationError(
                {
                    "postcode": [
                        Message(
                            "Enter a Dutch postcode as four digits and two letters, e.g. 1017 GC."
                        )
                    ]
                }
            )

    @post_load
    def _normalise(self, data, **kwargs):
        if data.get("country") == "NL" and data.get("postcode"):
            data["postcode"] = normalise_postcode(data["postcode"])
        return data


class IdDocumentIn(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(
        required=True,
        validate=validate.OneOf(
            ID_DOCUMENT_TYPES,
            error=Message(
                "Choose the kind of identity document: %(choices)s.",
                choices=", ".join(ID_DOCUMENT_TYPES),
            ),
        ),
        error_messages=REQUIRED_MESSAGES,
    )
    number = Text(required=True)
    issuing_country = _country(required=True)

    @pre_load
    def _clean(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("number"), str):
            data["number"] = re.sub(r"[\s-]", "", data["number"]).upper()
        if isinstance(data.get("issuing_country"), str):
            data["issuing_country"] = data["issuing_country"].strip().upper()
        return data

    @validates_schema(skip_on_field_errors=False)
    def _number(self, data, **kwargs):
        number = data.get("number")
        if number and not _DOCUMENT_NUMBER.match(number):
            raise ValidationError(
                {
                    "number": [
                        Message("Enter the document number as printed: 6 to 20 letters and digits.")
                    ]
                }
            )


class SellerIn(Schema):
    class Meta:
        unknown = RAISE

    name = _required_text(200)
    birth_date = Date(required=True)
    address = fields.Nested(AddressIn, required=True, error_messages=REQUIRED_MESSAGES)
    id_document = fields.Nested(IdDocumentIn, required=True, error_messages=REQUIRED_MESSAGES)


class ItemIn(Schema):
    class Meta:
        unknown = RAISE

    category = fields.String(
        required=True,
        validate=validate.OneOf(
            CATEGORIES,
            error=Message(
                "Choose a category from the list: %(choices)s.", choices=", ".join(CATEGORIES)
            ),
        ),
        error_messages=REQUIRED_MESSAGES,
    )
    brand = _text(100, load_default=None, allow_none=True)
    model = _text(100, load_default=None, allow_none=True)
    description = _text(2000, multiline=True, load_default=None, allow_none=True)
    price_cents = Money(load_default=None, allow_none=True)
    imei = _text(64, load_default=None, allow_none=True)
    serial_number = _text(100, load_default=None, allow_none=True)
    frame_number = _text(100, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _identifiers(self, data, **kwargs):
        errors = {}
        if data.get("imei"):
            problem = imei_problem(data["imei"])
            if problem:
                errors["imei"] = [problem]
        for name in ("serial_number", "frame_number"):
            if data.get(name) and not normalize_serial(data[name]):
                errors[name] = [Message("An identifier needs at least one letter or digit.")]
        if errors:
            raise ValidationError(errors)


class PurchaseIn(Schema):
    """One acquisition from one seller, with its items (POST /api/v1/purchases)."""

    class Meta:
        unknown = RAISE

    acquired_at = Timestamp(
        required=True,
        error_messages={
            "invalid": Message("Enter the date and time of acquisition, e.g. 2026-11-27T10:15."),
        },
        metadata={"description": "ISO 8601 with its offset, e.g. 2026-11-28T10:15:00+01:00"},
    )
    acquisition_type = fields.String(
        load_default="purchase",
        validate=validate.OneOf(
            ACQUISITION_TYPES,
            error=Message("Choose purchase, exchange or donation."),
        ),
    )
    seller = fields.Nested(SellerIn, load_default=None, allow_none=True)
    items = fields.List(
        fields.Nested(ItemIn),
        required=True,
        validate=validate.Length(min=1, error=Message("Register at least one item.")),
        error_messages={
            "required": Message("Register at least one item."),
            "null": Message("Register at least one item."),
        },
    )

    def __init__(
        self,
        *args,
        rules: RegistrationRules | None = None,
        naive_time_zone: tzinfo | None = None,
        **kwargs,
    ):
        """``naive_time_zone``: read an ``acquired_at`` without offset in this zone (the CSV
        format's documented Dutch time) instead of refusing it, as the API does."""
        super().__init__(*args, **kwargs)
        self.rules = rules
        if naive_time_zone is not None:
            self.fields["acquired_at"].default_timezone = naive_time_zone

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return blank_to_missing(data)

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data, **kwargs):
        errors = rule_errors(data, self.rules)
        if errors:
            raise ValidationError(errors)


def blank_to_missing(value):
    """Strip text and drop empty values: a blank form field is a field not given."""
    if isinstance(value, dict):
        cleaned = {}
        for key, sub in value.items():
            sub = blank_to_missing(sub)
            if sub is not None:
                cleaned[key] = sub
        return cleaned
    if isinstance(value, list):
        return [blank_to_missing(sub) if sub is not None else {} for sub in value]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def rule_errors(data: dict, rules: RegistrationRules | None) -> dict:
    """The rules that need more than one field, or the dealer's kind and municipality."""
    errors: dict = {}
    acquisition_type = data.get("acquisition_type", "purchase")
    donation = acquisition_type == "donation"
    items = data.get("items") or []
    for index, item in enumerate(items):
        item_errors = _item_rule_errors(item, acquisition_type)
        if item_errors:
            errors.setdefault("items", {})[index] = item_errors
    if rules is None:
        return errors
    if donation and rules.dealer_kind != "thrift":
        errors["acquisition_type"] = [
            Message("Only a thrift shop may register a donation; choose purchase or exchange.")
        ]
    if data.get("seller") is None and not (donation and rules.dealer_kind == "thrift"):
        errors["seller"] = [
            Message("Enter the seller: name, birth date, address and identity document.")
        ]
    acquired_at = data.get("acquired_at")
    if acquired_at is not None and acquired_at > rules.now + CLOCK_SKEW:
        errors["acquired_at"] = [Message("The acquisition cannot be in the future.")]
    elif acquired_at is not None and acquired_at < rules.now - rules.oldest_acquisition:
        errors["acquired_at"] = [
            Message(
                "The acquisition is older than the register keeps entries (four years): "
                "check the date."
            )
        ]
    seller = data.get("seller") or {}
    birth_date = seller.get("birth_date")
    if birth_date is not None:
        on = acquired_at.astimezone(AMSTERDAM).date() if acquired_at else rules.today
        problem = age_problem(birth_date, on, rules.minimum_seller_age)
        if problem:
            errors.setdefault("seller", {})["birth_date"] = [problem]
    return errors


def _item_rule_errors(item: dict, acquisition_type: str) -> dict:
    errors = {}
    category = item.get("category")
    given = {name for name in ("imei", "serial_number", "frame_number") if item.get(name)}
    if category in IMEI_OR_SERIAL and not given & {"imei", "serial_number"}:
        errors["imei"] = [
            Message("Enter the IMEI or the serial number: phones and tablets need one.")
        ]
    elif category in SERIAL_ONLY and "serial_number" not in given:
        errors["serial_number"] = [
            Message("Enter the serial number: computers and other ICT need one.")
        ]
    elif category in FRAME_ONLY and "frame_number" not in given:
        errors["frame_number"] = [Message("Enter the frame number: bicycles and e-bikes need one.")]
    if acquisition_type == "purchase" and "price_cents" in item and item["price_cents"] is None:
        errors["price_cents"] = [Message("Enter the price paid, in cents.")]
    return errors


def age_problem(birth_date: date, on: date, minimum_age: int) -> Message | None:
    if birth_date > on:
        return Message("The birth date cannot be in the future.")
    latest = _years_before(on, minimum_age)
    if birth_date > latest:
        return Message(
            "The seller must be at least %(age)s years old (born on or before %(date)s).",
            age=minimum_age,
            date=latest.isoformat(),
        )
    return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class BuyerIn(Schema):
    class Meta:
        unknown = RAISE

    name = _required_text(200)
    address = fields.Nested(AddressIn, load_default=None, allow_none=True)
    id_document = fields.Nested(IdDocumentIn, load_default=None, allow_none=True)


class SaleIn(Schema):
    """POST /api/v1/items/{id}/sale."""

    class Meta:
        unknown = RAISE

    sold_at = Timestamp(
        required=True,
        error_messages={
            "invalid": Message("Enter the date and time of sale, e.g. 2026-12-07T14:00."),
        },
    )
    price_cents = Money(required=True)
    buyer = fields.Nested(
        BuyerIn, load_default=None, allow_none=True, metadata={"description": "optional"}
    )

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return blank_to_missing(data)


class CorrectionIn(Schema):
    """POST /api/v1/purchases/{id}/corrections: a reason and the corrected values."""

    class Meta:
        unknown = RAISE

    reason = _required_text(2000)
    changes = fields.Dict(
        required=True,
        error_messages=REQUIRED_MESSAGES,
        metadata={
            "description": "a partial purchase in the registration's shape; items by id, e.g. "
            '{"seller": {"name": "..."}, "items": [{"id": 7, "description": "..."}]}'
        },
    )


class PurchaseListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    purpose = Text(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "police and enforcement: case number or reason (required)"},
    )
    identifier = Text(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "IMEI, serial or frame"},
    )
    date_from = Date(data_key="from", load_default=None)
    date_to = Date(data_key="to", load_default=None)
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ("holding", "available", "sold", "police_hold", "seized", "released")
        ),
    )
    dealer_id = Id(load_default=None)
    late = fields.Boolean(load_default=None)


class PurposeArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    purpose = Text(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "police and enforcement: case number or reason (required)"},
    )
