"""The input rules for every endpoint, one place per kind (API.md, "Input rules").

Ids, text, dates, timestamps and money are each checked by one marshmallow field here, which
the API's schemas and the web forms' schemas share; path ids by one URL converter. The rules:
ids are positive integers of at most 2^63 - 1; text holds no control characters (newline and
tab only in free text), no unpaired surrogates, non-characters or bidirectional overrides;
dates and timestamps lie in 1900..2100 and timestamps carry their offset; money is 0 to
1,000,000,000 cents.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from marshmallow import ValidationError, fields
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NoRouteMatch

from .purchases.messages import REQUIRED_MESSAGES, Message

LARGEST_ID = 2**63 - 1
# Ids are INTEGER columns (32-bit on PostgreSQL): a larger id names nothing that can exist.
LARGEST_STORED_ID = 2**31 - 1
# What an id beyond LARGEST_STORED_ID is looked up as: no row has it, so nothing matches.
UNSTORABLE_ID = 0
LARGEST_PRICE_CENTS = 1_000_000_000
FIRST_YEAR, LAST_YEAR = 1900, 2100

_NONCHARACTERS = "".join(
    chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
# Never allowed in any text: C0 and C1 controls (newline, carriage return and tab are left to
# the fields), DEL, surrogates (only ever unpaired in a str), non-characters, and the
# bidirectional embeddings, overrides and isolates that make text read other than it is stored.
_NEVER_ALLOWED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\u202a-\u202e\u2066-\u2069"
    + _NONCHARACTERS
    + "]"
)
_LINE_BREAKS_AND_TABS = re.compile("[\t\n\r]")
_LONE_CARRIAGE_RETURN = re.compile("\r")

TEXT_NOT_ALLOWED = Message(
    "Remove control characters, invisible direction marks and other characters that cannot "
    "be stored as text."
)
SINGLE_LINE = Message("Use one line, without tabs.")


def text_problem(value: str, *, multiline: bool = False) -> Message | None:
    """Why ``value`` cannot be stored as text (single-line unless ``multiline``), or None."""
    if _NEVER_ALLOWED.search(value):
        return TEXT_NOT_ALLOWED
    if multiline:
        if _LONE_CARRIAGE_RETURN.search(value):
            return TEXT_NOT_ALLOWED
    elif _LINE_BREAKS_AND_TABS.search(value):
        return SINGLE_LINE
    return None


def never_allowed(value: str) -> bool:
    """Whether ``value`` holds a character no text field accepts (the parser's backstop)."""
    return _NEVER_ALLOWED.search(value) is not None


class Text(fields.String):
    """Text on one line: a name, a number, a code. ``Text(multiline=True)`` is free text, which
    may hold newlines (a form's CR LF is read as LF) and tabs."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        kwargs.setdefault("error_messages", REQUIRED_MESSAGES)
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.multiline:
            text = text.replace("\r\n", "\n")
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        return text


class Id(fields.Integer):
    """An id given in a query or a body: a positive integer of at most 2^63 - 1.

    One beyond the database's integer columns is read as ``UNSTORABLE_ID``, which matches
    nothing (on PostgreSQL the comparison itself would fail)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"minimum": 1, "maximum": LARGEST_ID, **kwargs["metadata"]}
        super().__init__(strict=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or (isinstance(value, str) and len(value.strip()) > 20):
            raise ValidationError(Message("Give the id as a positive whole number."))
        number = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= number <= LARGEST_ID:
            raise ValidationError(Message("Give the id as a positive whole number."))
        return number if number <= LARGEST_STORED_ID else UNSTORABLE_ID


def id_from_text(text: str | None) -> int | None:
    """A web form's or query's id under the ``Id`` rules; None when it is not an id."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    if not 1 <= number <= LARGEST_ID:
        return None
    return number if number <= LARGEST_STORED_ID else UNSTORABLE_ID


def date_from_text(text: str | None) -> date | None:
    """A web page's ``YYYY-MM-DD`` under the ``Date`` rules; None when it is not one."""
    try:
        day = date.fromisoformat((text or "").strip()[:10]) if text and len(text) <= 10 else None
    except ValueError:
        return None
    return day if day is not None and _in_years(day) else None


class PageNumber(fields.Integer):
    """``page``: a positive integer of at most 2^63 - 1 (a page past the end is empty)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", 1)
        kwargs["metadata"] = {"minimum": 1, "maximum": LARGEST_ID}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or (isinstance(value, str) and len(value.strip()) > 20):
            raise ValidationError(Message("Give the page as a positive whole number."))
        number = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= number <= LARGEST_ID:
            raise ValidationError(Message("Give the page as a positive whole number."))
        return number


class Money(fields.Integer):
    """``price_cents``: whole cents from 0 to 1,000,000,000 (ten million euro)."""

    def __init__(self, **kwargs):
        error_messages = {
            **REQUIRED_MESSAGES,
            "invalid": Message("Enter the price as a whole number of cents."),
            **kwargs.pop("error_messages", {}),
        }
        kwargs["metadata"] = {"minimum": 0, "maximum": LARGEST_PRICE_CENTS}
        super().__init__(strict=True, error_messages=error_messages, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        cents = super()._deserialize(value, attr, data, **kwargs)
        if cents < 0:
            raise ValidationError(Message("The price cannot be negative."))
        if cents > LARGEST_PRICE_CENTS:
            raise ValidationError(
                Message("The price can be at most 1,000,000,000 cents (ten million euro).")
            )
        return cents


def _in_years(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


OUT_OF_YEARS = Message("Give a date between 1900 and 2100.")


class Date(fields.Date):
    """A date ``YYYY-MM-DD`` in 1900..2100."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", REQUIRED_MESSAGES)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if isinstance(value, str) and len(value) > 40:
            raise self.make_error("invalid")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not _in_years(day):
            raise ValidationError(OUT_OF_YEARS)
        return day


class Timestamp(fields.AwareDateTime):
    """An ISO 8601 timestamp with its offset, in 1900..2100; dumped with the offset it has."""

    def __init__(self, **kwargs):
        error_messages = {
            **REQUIRED_MESSAGES,
            "invalid_awareness": Message(
                "Give the time with its offset from UTC, e.g. 2026-11-27T10:15:00+01:00."
            ),
            **kwargs.pop("error_messages", {}),
        }
        super().__init__(error_messages=error_messages, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not _in_years(moment.date()):
            raise ValidationError(OUT_OF_YEARS)
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def local_time_text(value: str, zone: tzinfo) -> str:
    """A form's ``datetime-local`` value (no offset: the reader's local time) with the offset
    it has in ``zone``, as the Timestamp field wants it; anything else is left as typed."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if moment.tzinfo is not None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return value
    return moment.replace(tzinfo=zone).isoformat()


def with_offset(moment: datetime, offset_minutes: int | None) -> datetime:
    """A stored (UTC) moment shown at the offset it was given with."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if offset_minutes is None:
        return moment
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes)))


def offset_minutes(moment: datetime) -> int:
    """The UTC offset of an aware moment, in whole minutes."""
    return int(moment.utcoffset().total_seconds() // 60)


class IdConverter(IntegerConverter):
    """The app's ``int`` converter for path ids: a positive integer of at most 2^63 - 1, else
    the route does not match (404); ids beyond the database's integer columns are 404 too."""

    regex = r"\d{1,19}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > LARGEST_STORED_ID:
            raise NoRouteMatch()
        return number
