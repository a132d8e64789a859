"""Bulk registration from a point-of-sale system: a CSV file, all rows stored or none.

Every row is validated before anything is written; if any row is bad, nothing is stored and
the answer lists every bad row with its errors by column. A small file is stored within the
request (``import_csv``); a larger one becomes an import job (``register.imports``) that
stores the validated purchases in chunks.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from marshmallow import Schema, ValidationError, fields
from sqlalchemy.orm import Session

from ..clock import AMSTERDAM
from ..dealers.models import Dealer
from ..errors import flatten_errors
from .messages import Message
from .schemas import PurchaseIn, RegistrationRules
from .service import ensure_active, record_registrations, rules_for

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
rows may leave them empty. All rows are stored or none. A file of up to the configured
number of rows (`IMPORT_SYNC_MAX_ROWS`, 500 by default) is stored at once: `201` with the
new entries, or `422` whose `rows` lists every bad row (`row` is the line number in the
file, the header being line 1) with its errors by column, and whose `errors` names them as
`rows.<line>.<column>`. A larger file is accepted as an import job: `202` with `Location:
/api/v1/imports/{id}`, where its progress and outcome are. Unknown or duplicate columns, a
field over 128 KiB, a row with more fields than the header or a NUL are `422` at once.
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


# The csv module's own limit on one field; a longer field is a 422 naming its line.
MAX_FIELD_CHARS = 128 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)


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


class Group:
    """The rows of one purchase (one ``purchase_ref``, or one row without it)."""

    def __init__(self, ref: str | None, line: int, row: dict):
        self.ref = ref
        self.lines = [line]
        self.rows = [row]


def _header_problems(header: list[str]) -> tuple[dict[str, list[str]], Message | None]:
    """The header's errors by column and a message naming every bad column (None: none)."""
    unknown = [name for name in dict.fromkeys(header) if name not in COLUMNS]
    twice = [name for name in dict.fromkeys(header) if name in COLUMNS and header.count(name) > 1]
    missing = [name for name in ("acquired_at", "category") if name not in header]
    errors: dict[str, list[str]] = {name: [Message("Unknown column.")] for name in unknown}
    errors.update({name: [Message("This column appears more than once.")] for name in twice})
    errors.update({name: [Message("This column is required.")] for name in missing})
    if not errors:
        return errors, None
    detail = Message(
        "The header row is not right; check the columns %(names)s.",
        names=", ".join(repr(name) for name in errors),
    )
    return errors, detail


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """The file's records with the line each starts on; ImportRejected naming the line of a
    record the csv module cannot read (a field over ``MAX_FIELD_CHARS``, a NUL)."""
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # newline="": the csv module itself splits records at LF, CRLF or a lone CR.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = Message(
                    "A field is longer than %(limit)s characters.", limit=MAX_FIELD_CHARS
                )
            else:
                message = Message("This line cannot be read as CSV: %(reason)s.", reason=str(exc))
            raise ImportRejected(
                Message("Line %(line)s of the file cannot be read.", line=line),
                [{"row": line, "errors": {"line": [message]}}],
            ) from None
        yield line, record


def parse(text: str) -> list[Group]:
    """The file's rows grouped into purchases, in file order; ImportRejected for a file
    that is empty, has a wrong header, or has a row with more fields than the header."""
    if not text.strip():
        raise ImportRejected(Message("The file is empty."), [])
    records = _records(text)
    _line, header = next(records)
    header = [name.strip() for name in header]
    problems, detail = _header_problems(header)
    if detail is not None:
        raise ImportRejected(detail, [{"row": 1, "errors": problems}])
    groups: list[Group] = []
    by_ref: dict[str, Group] = {}
    unreadable: list[dict] = []  # rows the schema cannot be asked about
    may_hold_nul = "\x00" in text  # PostgreSQL refuses NUL in text; nobody types one
    for line, record in records:
        problem = _layout_problem(record, len(header), may_hold_nul)
        if problem is not None:
            unreadable.append({"row": line, "errors": {"line": [problem]}})
            continue
        row = {name: value.strip() for name, value in zip(header, record, strict=False)}
        if not any(row.values()):
            continue
        ref = row.get("purchase_ref") or None
        if ref is not None and ref in by_ref:
            by_ref[ref].lines.append(line)
            by_ref[ref].rows.append(row)
            continue
        group = Group(ref, line, row)
        groups.append(group)
        if ref is not None:
            by_ref[ref] = group
    if unreadable:
        raise ImportRejected(_rows_detail(len(unreadable)), unreadable)
    if not groups:
        raise ImportRejected(Message("The file has a header but no rows."), [])
    return groups


def _layout_problem(record: list[str], columns: int, may_hold_nul: bool) -> Message | None:
    if len(record) > columns and any(value.strip() for value in record[columns:]):
        return Message(
            "This row has %(count)s fields; the header names %(columns)s.",
            count=len(record),
            columns=columns,
        )
    if may_hold_nul and any("\x00" in value for value in record):
        return Message("This row contains a NUL character.")
    return None


def row_count(groups: list[Group]) -> int:
    return sum(len(group.rows) for group in groups)


def _rows_detail(count: int) -> Message:
    return Message(
        "Nothing was stored: %(count)s row(s) have errors. Correct them and send the "
        "whole file again.",
        count=count,
    )


def payload_of(group: Group) -> dict:
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


def _disagreements(group: Group) -> dict[int, dict]:
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


def _row_errors(group: Group, errors: dict[str, list]) -> dict[int, dict]:
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


def validate(
    groups: list[Group], rules: RegistrationRules, progress: Callable[[int], None] | None = None
) -> list[dict]:
    """Each purchase as validated registration data, in order; ImportRejected listing every
    bad row (every row is checked, whatever is found first)."""
    schema = PurchaseIn(rules=rules, naive_time_zone=AMSTERDAM)  # a time without offset: Dutch
    # One schema for every row: building one costs more
    bad: dict[int, dict] = {}
    registrations: list[dict] = []
    for group in groups:
        for line, problems in _disagreements(group).items():
            bad.setdefault(line, {}).update(problems)
        try:
            registrations.append(schema.load(payload_of(group)))
        except ValidationError as exc:
            for line, problems in _row_errors(group, flatten_errors(exc.messages)).items():
                bad.setdefault(line, {}).update(problems)
        if progress:
            progress(len(group.rows))
    if bad:
        rows = [{"row": line, "errors": bad[line]} for line in sorted(bad)]
        raise ImportRejected(_rows_detail(len(rows)), rows)
    return registrations


def import_csv(
    session: Session,
    dealer: Dealer,
    text: str,
    *,
    now: datetime,
    user_id: int | None = None,
    groups: list[Group] | None = None,
) -> dict:
    """Validate every row, then store every purchase in this transaction (flushes, never
    commits); ImportRejected listing every bad row, with nothing written."""
    ensure_active(dealer)
    groups = parse(text) if groups is None else groups
    registrations = validate(groups, rules_for(dealer, now))
    purchases = record_registrations(session, dealer, registrations, now=now, user_id=user_id)
    entries = [_entry(group, purchase) for group, purchase in zip(groups, purchases, strict=True)]
    items = sum(len(e["items"]) for e in entries)
    log.info(
        "imported %s purchases with %s items for dealer %s",
        len(entries),
        items,
        dealer.id,
        extra={"dealer_id": dealer.id},
    )
    return {"purchases": len(entries), "items": items, "entries": entries}


def _entry(group: Group, purchase) -> dict:
    """What the import answers for one stored purchase."""
    return {
        "row": group.lines[0],
        "purchase_ref": group.ref,
        "id": purchase.id,
        "sequence_number": purchase.sequence_number,
        "late": purchase.late,
        "items": [
            {"id": i.id, "status": i.status, "hold_until": i.hold_until} for i in purchase.items
        ],
    }
