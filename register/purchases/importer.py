"""Bulk registration from a point-of-sale system: a CSV file, all rows stored or none.

Every row is validated before anything is written; if any row is bad, nothing is stored and
the answer lists every bad row with its errors by column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing import get_context

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from stolen_db.matching import Identifiers, Match, find_matches_many

from ..clock import AMSTERDAM
from ..database import use_bulk_page_cache
from ..dealers.models import Dealer
from ..errors import flatten_errors
from ..hits.service import item_keys
from .messages import Message
from .schemas import PurchaseIn, RegistrationRules
from .service import ensure_active, hash_seller, record_registrations, rules_for

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
    """Validate every row and store every purchase (flushes, never commits); ImportRejected
    if any row is bad, after which the caller rolls back: valid purchases are stored while
    later ones are still being validated (``validations``), so some may have been written."""
    ensure_active(dealer)
    with helper_for(text, lookup_url(session)) as helper:
        return _import(session, dealer, parse(text), helper, now=now, user_id=user_id,
                       progress=progress)  # fmt: skip


def _import(session, dealer, groups, helper, *, now, user_id, progress) -> dict:
    use_bulk_page_cache(session)
    bad: dict[int, dict] = {}
    entries: list[dict] = []
    for chunk, results, matches in validations(groups, rules_for(dealer, now), helper):
        valid, keys = [], []
        for group, (data, errors, keys_of_items) in zip(chunk, results, strict=True):
            for line, problems in _disagreements(group).items():
                bad.setdefault(line, {}).update(problems)
            if errors is not None:
                for line, problems in _row_errors(group, errors).items():
                    bad.setdefault(line, {}).update(problems)
            else:
                valid.append((group, data))
                keys += keys_of_items
            if progress:
                progress(len(group.rows))
        if not bad:  # after a bad row nothing more is stored, but every row is still checked
            entries += _store(session, dealer, valid, keys, matches, now=now, user_id=user_id,
                              progress=progress)  # fmt: skip
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
    log.info(
        "imported %s purchases with %s items for dealer %s",
        len(entries),
        sum(len(e["items"]) for e in entries),
        dealer.id,
        extra={"dealer_id": dealer.id},
    )
    return {
        "purchases": len(entries),
        "items": sum(len(e["items"]) for e in entries),
        "entries": entries,
    }


def _store(session, dealer, valid, keys, matches, *, now, user_id, progress):
    if not valid:
        return []
    purchases = record_registrations(
        session, dealer, [data for _, data in valid], now=now, user_id=user_id, item_keys=keys,
        item_matches=matches,
    )  # fmt: skip
    entries = []
    for (group, _data), purchase in zip(valid, purchases, strict=True):
        entries.append(_entry(group, purchase))
        if progress:
            progress(len(group.rows))
    return entries


def _entry(group: _Group, purchase) -> dict:
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


# -- validating and looking up, in a helper process for a large file --------------------------

# Validating a row (marshmallow), computing its items' index keys and looking them up in Stop
# Heling cost more than storing it, and a server has more than one core: from this many rows
# a helper process does that for the next purchases while this one stores those already done.
# Below it, the helper's start (importing the app's modules, about a second) costs more than
# it saves.
PARALLEL_FROM_ROWS = 5_000
CHUNK_PURCHASES = 2_000
# How long the helper waits for the import to take its matching turn before it leaves the
# lookups to the importing process (which then does them itself).
TURN_WAIT_SECONDS = 120

Validated = tuple[dict | None, dict | None, list[set[int]] | None]  # data, errors, item keys
# Each valid item's Stop Heling matches, in file order; None: not looked up (the importing
# process looks them up itself).
Matches = list[list[Match]] | None


def validate_groups(groups: list[_Group], rules: RegistrationRules) -> list[Validated]:
    """For each purchase: (data, None, each item's index keys) if valid, (None, errors by
    path, None) if not. A plain function of plain data: it runs in the helper process."""
    # One schema for every row (cheaper); a time without offset is Dutch time (FORMAT_DOC).
    schema = PurchaseIn(rules=rules, naive_time_zone=AMSTERDAM)
    results: list[Validated] = []
    for group in groups:
        try:
            data = schema.load(payload_of(group))
        except ValidationError as exc:
            results.append((None, flatten_errors(exc.messages), None))
            continue
        keys = [item_keys(_identifiers(item)) for item in data["items"]]
        if data.get("seller") is not None:
            hash_seller(data["seller"])
        results.append((data, None, keys))
    return results


def _identifiers(item: dict) -> Identifiers:
    return Identifiers(
        item.get("imei"), item.get("serial_number"), item.get("frame_number"), item.get("brand")
    )


def lookup_url(session: Session) -> str | None:
    """The database a helper process can read Stop Heling from (None: an in-memory one)."""
    url = session.get_bind().url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


class HelperProcess:
    """The helper process of a large file's import, started before the file is parsed: it
    imports the app's modules (about a second) while this process parses. ``turn_taken``
    and ``waiting_for`` are shared with it: whether the import holds its matching turn, and
    which chunk the import is waiting for (the helper leaves that chunk's lookups to the
    import rather than keep it waiting longer: the two share the work as their speeds
    allow)."""

    def __init__(self, database_url: str | None):
        context = get_context("spawn")
        self.turn_taken, self.waiting_for = context.Event(), context.Value("i", 0, lock=False)
        self.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_start_helper,
            initargs=(database_url, self.turn_taken, self.waiting_for),
        )
        self.pool.submit(int)  # starts the process now, not at the first chunk

    def close(self) -> None:
        self.turn_taken.set()  # a helper that waits for the turn must not wait for ever
        self.pool.shutdown(cancel_futures=True)


@contextlib.contextmanager
def helper_for(text: str, database_url: str | None) -> Iterator[HelperProcess | None]:
    """A helper process for a file of ``PARALLEL_FROM_ROWS`` lines or more on a machine of
    more than one core, else None."""
    if text.count("\n") < PARALLEL_FROM_ROWS or (os.cpu_count() or 1) < 2:
        yield None
        return
    helper = HelperProcess(database_url)
    try:
        yield helper
    finally:
        helper.close()


def validations(
    groups: list[_Group], rules: RegistrationRules, helper: HelperProcess | None = None
) -> Iterator[tuple[list[_Group], list[Validated], Matches]]:
    """The groups in batches, in file order, each with ``validate_groups`` of its purchases
    and, where the helper looked them up, its valid items' Stop Heling matches: chunks of
    ``CHUNK_PURCHASES``, or several together. For a large file with a ``helper``, the first
    chunk is validated here while the helper validates the others; if the helper fails,
    here.

    The caller stores each batch before it asks for the next, and storing takes the matching
    turn (``hits.service.registration_turn``; on SQLite the write lock) until the commit. So
    once the first batch is stored, no report can be added that the helper's lookups (read
    on a connection of its own) would miss and that would miss the new items; only from
    then on does the helper look up. A batch without matches (the first, or one the helper
    could not look up) is matched by ``record_registrations``."""
    chunks = [groups[i : i + CHUNK_PURCHASES] for i in range(0, len(groups), CHUNK_PURCHASES)]
    # Whether the file is large enough for a helper was decided when it was started
    # (``helper_for``): a helper that runs is used.
    if helper is None or len(chunks) < 2:
        for chunk in chunks:
            yield chunk, validate_groups(chunk, rules), None
        return
    pending = deque((index, chunk, helper.pool.submit(prepare_groups, chunk, rules, index))
                    for index, chunk in enumerate(chunks[1:], 1))  # fmt: skip
    # Whatever ends the import, ``HelperProcess.close`` gives the helper its turn and
    # cancels the chunks it has not started.
    yield chunks[0], validate_groups(chunks[0], rules), None
    helper.turn_taken.set()  # the first batch is stored: the turn is this import's
    while pending:
        # The next chunk (waited for) and every later one done meanwhile, together:
        # storing fewer, larger batches walks the indexes fewer times.
        helper.waiting_for.value = pending[0][0]
        batch: list[_Group] = []
        results: list[Validated] = []
        matches: Matches = []
        while pending and (not batch or pending[0][2].done()):
            _index, chunk, future = pending.popleft()
            batch += chunk
            found, found_matches = _helper_result(future, chunk, rules)
            results += found
            matches = None if matches is None or found_matches is None else (
                matches + found_matches
            )  # fmt: skip
        yield batch, results, matches


def _helper_result(future, chunk: list[_Group], rules: RegistrationRules):
    try:
        return future.result()
    except BrokenProcessPool:
        log.warning("the import's validation helper stopped; validating here")
        return validate_groups(chunk, rules), None


class _Helper:
    """The helper process's own: its connection for the lookups, the import's signals."""

    lookups: Session | None = None
    turn_taken = None
    waiting_for = None


def _start_helper(database_url: str | None, turn_taken, waiting_for) -> None:
    _Helper.turn_taken, _Helper.waiting_for = turn_taken, waiting_for
    if database_url:
        _Helper.lookups = Session(create_engine(database_url, pool_size=1))


def prepare_groups(
    groups: list[_Group], rules: RegistrationRules, index: int
) -> tuple[list[Validated], Matches]:
    """In the helper: ``validate_groups`` of chunk ``index``, then, once the import holds
    its matching turn and unless it is already waiting for this chunk, every valid item
    looked up in Stop Heling (``find_matches_many`` on the item's keys)."""
    results = validate_groups(groups, rules)
    session = _Helper.lookups
    if session is None or _Helper.waiting_for.value >= index:
        return results, None
    if not _Helper.turn_taken.wait(TURN_WAIT_SECONDS):
        return results, None
    goods, keys = [], []
    for data, _errors, item_keys_of in results:
        if data is not None:
            goods += [_identifiers(item) for item in data["items"]]
            keys += item_keys_of
    try:
        use_bulk_page_cache(session)
        return results, find_matches_many(session, goods, keys=keys)
    except SQLAlchemyError:
        log.warning("the import's helper could not look up; looking up here", exc_info=True)
        return results, None
    finally:
        session.rollback()  # no snapshot kept between chunks
