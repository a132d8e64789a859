"""Bulk registration from a point-of-sale system: a CSV file, all rows stored or none.

Every row is validated before anything is written; if any row is bad, nothing is stored and
the answer lists every bad row with its errors by column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
from collections.abc import Callable
from datetime import datetime

from marshmallow import Schema, ValidationError, fields
from sqlalchemy.orm import Session

from ..dealers.models import Dealer
from ..errors import flatten_errors
from .messages import Message
from .schemas import PurchaseIn
from .service import InvalidEntry, ensure_active, record_registrations, rules_for

log = logging.getLogger(__name__)

FORMAT_DOC = """\
**CSV format.** UTF-8 text (a byte-order mark is fine), comma- or semicolon-separated, with
a header row naming the columns (any order; only `acquired_at` and `category` are always
needed). Send it as the body with `Content-Type: text/csv`, or as the `file` field of a
`multipart/form-data` upload. One row per item; the columns:

- `purchase_ref`: optional; rows with the same value form one purchase from one seller.
  Empty: the row is a purchase of its own.
- `acquired_at`: date and time of acquisition, ISO 8601 (`2026-11-27T10:15:00+01:00`;
  without an offset it is Dutch local time).
- `acquisition_type`: `purchase` (default), `exchange` or `donation` (thrift shops only).
- `seller_name`, `seller_birth_date` (`YYYY-MM-DD`): the seller.
- `seller_street`, `seller_house_number`, `seller_postcode`, `seller_city`,
  `seller_country`: the seller's address (`seller_country` defaults to `NL`).
- `id_document_type` (`passport`, `id_card`, `driving_licence` or `residence_permit`),
  `id_document_number`, `id_document_country`: the identity document the dealer saw.
- `category`: one of the categories of `POST /api/v1/purchases`.
- `brand`, `model`, `description`: the item.
- `price_cents`: the price paid in euro cents, a whole number.
- `imei`, `serial_number`, `frame_number`: identifiers, as the category needs them.

Rows of one `purchase_ref` take the purchase and seller columns from their first row; later
rows may leave them empty. All rows are stored or none: `201` with the new entries, or
`422` whose `rows` lists every bad row (`row` is the line number in the file, the header
being line 1) with its errors by column, and whose `errors` names them as
`rows.<line>.<column>`.
"""

PURCHASE_COLUMNS = ("acquired_at", "acquisition_type")
SELLER_COLUMNS = {
    "seller_name": ("name",),
    "seller_birth_date": ("birth_date",),
    "seller_street": ("address", "street"),
    "seller_house_number": ("address", "house_number"),
    "seller_postcode": ("address", "postcode"),
    "seller_city": ("address", "city"),
    "seller_country": ("address", "country"),
    "id_document_type": ("id_document", "type"),
    "id_document_number": ("id_document", "number"),
    "id_document_country": ("id_document", "issuing_country"),
}
ITEM_COLUMNS = (
    "category", "brand", "model", "description", "price_cents", "imei", "serial_number",
    "frame_number",
)  # fmt: skip
COLUMNS = ("purchase_ref", *PURCHASE_COLUMNS, *SELLER_COLUMNS, *ITEM_COLUMNS)
_COLUMN_OF_PATH = {".".join(("seller", *path)): column for column, path in SELLER_COLUMNS.items()}


class ImportRejected(Exception):
    """Nothing was stored: ``rows`` lists every bad row with its errors by column."""

    def __init__(self, detail: str, rows: list[dict]):
        super().__init__(detail)
        self.detail = detail
        self.rows = rows


class ImportedItemOut(Schema):
    id = fields.Integer()
    status = fields.String()
    hold_until = fields.Date()


class ImportedPurchaseOut(Schema):
    row = fields.Integer(metadata={"description": "line of the purchase's first row"})
    purchase_ref = fields.String(allow_none=True)
    id = fields.Integer()
    sequence_number = fields.Integer()
    late = fields.Boolean()
    items = fields.List(fields.Nested(ImportedItemOut))


class ImportResultOut(Schema):
    purchases = fields.Integer()
    items = fields.Integer()
    entries = fields.List(fields.Nested(ImportedPurchaseOut))


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(Message("The file is not UTF-8 text."), []) from None


class _Group:
    def __init__(self, ref: str | None, line: int, row: dict):
        self.ref = ref
        self.lines = [line]
        self.rows = [row]


def parse(text: str) -> list[_Group]:
    """The file's rows grouped into purchases, in file order."""
    if not text.strip():
        raise ImportRejected(Message("The file is empty."), [])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in ("acquired_at", "category") if name not in header]
    if unknown or missing:
        errors = {name: [Message("Unknown column.")] for name in unknown}
        errors.update({name: [Message("This column is required.")] for name in missing})
        raise ImportRejected(
            Message("The header row is not right."), [{"row": 1, "errors": errors}]
        )
    groups: list[_Group] = []
    by_ref: dict[str, _Group] = {}
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        ref = row.get("purchase_ref") or None
        if ref is not None and ref in by_ref:
            by_ref[ref].lines.append(line)
            by_ref[ref].rows.append(row)
            continue
        group = _Group(ref, line, row)
        groups.append(group)
        if ref is not None:
            by_ref[ref] = group
    if not groups:
        raise ImportRejected(Message("The file has a header but no rows."), [])
    return groups


def payload_of(group: _Group) -> dict:
    first = group.rows[0]
    payload: dict = {name: first.get(name) for name in PURCHASE_COLUMNS if first.get(name)}
    if any(first.get(column) for column in SELLER_COLUMNS):
        seller: dict = {}
        for column, path in SELLER_COLUMNS.items():
            if first.get(column):
                target = seller
                for key in path[:-1]:
                    target = target.setdefault(key, {})
                target[path[-1]] = first[column]
        payload["seller"] = seller
    payload["items"] = [_item(row) for row in group.rows]
    return payload


def _item(row: dict) -> dict:
    item = {name: row[name] for name in ITEM_COLUMNS if row.get(name)}
    if "price_cents" in item:
        with contextlib.suppress(ValueError):  # else the schema names it: whole cents
            item["price_cents"] = int(item["price_cents"])
    return item


def _disagreements(group: _Group) -> dict[int, dict]:
    """Later rows of a purchase that contradict its first row's purchase or seller columns."""
    first = group.rows[0]
    found = {}
    for line, row in zip(group.lines[1:], group.rows[1:], strict=True):
        errors = {
            column: [Message("Rows of one purchase_ref must agree with its first row.")]
            for column in (*PURCHASE_COLUMNS, *SELLER_COLUMNS)
            if row.get(column) and row.get(column) != first.get(column)
        }
        if errors:
            found[line] = errors
    return found


def _row_errors(group: _Group, errors: dict[str, list]) -> dict[int, dict]:
    by_line: dict[int, dict] = {}
    for path, messages in errors.items():
        parts = path.split(".")
        line = group.lines[0]
        if parts[0] == "items" and len(parts) > 2 and parts[1].isdigit():
            line = group.lines[int(parts[1])]
            column = ".".join(parts[2:])
        elif parts[0] == "items":
            column = "category"
        else:
            column = _COLUMN_OF_PATH.get(path, path)
        by_line.setdefault(line, {}).setdefault(column, []).extend(messages)
    return by_line


def import_csv(
    session: Session,
    dealer: Dealer,
    text: str,
    *,
    now: datetime,
    user_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Validate every row, then store every purchase (flushes); ImportRejected if any is bad."""
    ensure_active(dealer)
    groups = parse(text)
    valid: list[tuple[_Group, dict]] = []
    bad: dict[int, dict] = {}
    schema = PurchaseIn(rules=rules_for(dealer, now))  # one schema for every row: cheaper
    for group in groups:
        for line, errors in _disagreements(group).items():
            bad.setdefault(line, {}).update(errors)
        try:
            valid.append((group, _validate(schema, payload_of(group))))
        except InvalidEntry as exc:
            for line, errors in _row_errors(group, exc.errors).items():
                bad.setdefault(line, {}).update(errors)
        if progress:
            progress(len(group.rows))
    if bad:
        rows = [{"row": line, "errors": bad[line]} for line in sorted(bad)]
        raise ImportRejected(
            Message(
                "Nothing was stored: %(count)s row(s) have errors. Correct them and send the "
                "whole file again.",
                count=len(rows),
            ),
            rows,
        )
    entries = store_registrations(
        session, dealer, [data for _, data in valid], now=now, user_id=user_id
    )
    for (group, _data), entry in zip(valid, entries, strict=True):
        entry["row"] = group.lines[0]
        entry["purchase_ref"] = group.ref
        if progress:
            progress(len(group.rows))
    return {
        "purchases": len(entries),
        "items": sum(len(e["items"]) for e in entries),
        "entries": entries,
    }


def _validate(schema: PurchaseIn, payload: dict) -> dict:
    """``service.validate_registration`` with a schema made once for the whole file."""
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidEntry(flatten_errors(exc.messages)) from None


# -- storing many registrations at once ---------------------------------------------------------


def store_registrations(
    session: Session, dealer: Dealer, registrations: list[dict], *, now: datetime,
    user_id: int | None = None,
) -> list[dict]:  # fmt: skip
    """Record many validated registrations of one dealer (``record_registrations``); what
    the import answers for each. Flushes, never commits."""
    purchases = record_registrations(session, dealer, registrations, now=now, user_id=user_id)
    log.info(
        "imported %s purchases with %s items for dealer %s",
        len(purchases),
        sum(len(p.items) for p in purchases),
        dealer.id,
        extra={"dealer_id": dealer.id},
    )
    return [
        {
            "id": p.id,
            "sequence_number": p.sequence_number,
            "late": p.late,
            "items": [
                {"id": i.id, "status": i.status, "hold_until": i.hold_until} for i in p.items
            ],
        }
        for p in purchases
    ]
