"""Hits: matching registered items against Stop Heling, and what a match sets in motion.

Two directions, the same tiers (``stolen_db.matching``):

- at registration, ``check_item`` matches a new item against the active stolen reports;
- when the police report a theft, ``retroactive_hits`` matches the report against the items
  registered within the retention window (``SELLER_DATA_RETENTION_DAYS``).

Both are index lookups: the reports' keys live in ``stolen_report_keys``, the items' in
``item_identifier_keys`` (written by ``check_item``). In the transaction that finds it, a hit
becomes: a ``Hit`` row (one per item and report), the item on police hold, a ``hit.created``
event in the outbox for the police, and an inspection task for the dealer's municipality.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from stolen_db.keys import identifier_keys
from stolen_db.lookup import fetch_all, placeholders
from stolen_db.matching import (
    Identifiers,
    Match,
    explain,
    find_matches,
    find_matches_many,
    query_keys,
)
from stolen_db.models import StolenReport
from stolen_db.normalize import IDENTIFIER_TYPES, normalize

from ..inspections.service import open_task
from ..purchases.models import Item, ItemStatus, transition_item
from .models import Hit, ItemIdentifierKey
from .payload import hit_event_payload

log = logging.getLogger(__name__)


def item_identifiers(item: Item) -> Identifiers:
    return Identifiers(
        imei=item.imei,
        serial_number=item.serial_number,
        frame_number=item.frame_number,
        brand=item.brand,
    )


def report_identifiers(report: StolenReport) -> Identifiers:
    return Identifiers(
        imei=report.imei,
        serial_number=report.serial_number,
        frame_number=report.frame_number,
        brand=report.brand,
    )


def index_item(session: Session, item: Item) -> None:
    """Store the item's look-alike and near keys, for retroactive matching (idempotent)."""
    keys: set[int] = set()
    for identifier_type in IDENTIFIER_TYPES:
        keys |= identifier_keys(identifier_type, getattr(item, identifier_type), item.brand)
    if not keys:
        return
    # By key and item: the primary key (key, item_id) answers it, whatever the table's size
    # (by item alone it would be a scan of every item's keys).
    stored = set(
        session.scalars(
            select(ItemIdentifierKey.key).where(
                ItemIdentifierKey.key.in_(keys), ItemIdentifierKey.item_id == item.id
            )
        )
    )
    session.add_all(ItemIdentifierKey(key=key, item_id=item.id) for key in keys - stored)
    session.flush()


def check_item(session: Session, item: Item, *, now: datetime) -> list[Hit]:
    """Check a newly registered (flushed) item against active stolen reports, every tier;
    record every hit."""
    index_item(session, item)
    return [
        record_hit(session, item, match, trigger="registration", now=now)
        for match in find_matches(session, item_identifiers(item))
    ]


def _keys_of(item) -> set[int]:
    keys: set[int] = set()
    for identifier_type in IDENTIFIER_TYPES:
        keys |= identifier_keys(identifier_type, getattr(item, identifier_type), item.brand)
    return keys


def check_new_items(
    session: Session, items, *, now: datetime, trigger: str = "registration"
) -> list[Hit]:
    """``check_item`` for many items just inserted (a CSV import; objects with the item's
    ``id``, ``brand`` and identifiers): their keys are stored in one bulk insert, they are
    matched in batches (``find_matches_many``) and every hit is recorded."""
    keys = [_keys_of(item) for item in items]
    rows = [(key, item.id) for item, item_keys in zip(items, keys, strict=True)
            for key in item_keys]  # fmt: skip
    if rows:
        # Two integers a row: straight to the driver (what SQLAlchemy adds costs more).
        connection = session.connection()
        marks = "%s, %s" if connection.dialect.paramstyle in ("format", "pyformat") else "?, ?"
        connection.exec_driver_sql(
            f"INSERT INTO item_identifier_keys (key, item_id) VALUES ({marks})",  # noqa: S608
            rows,
        )
    # An item's keys are the keys that find its look-alike and near candidates.
    matches = find_matches_many(session, [item_identifiers(item) for item in items], keys=keys)
    hits = []
    for item, found in zip(items, matches, strict=True):
        if found:
            stored = session.get(Item, item.id)
            hits += [record_hit(session, stored, m, trigger=trigger, now=now) for m in found]
    return hits


def retention_cutoff(now: datetime, retention_days: int | None = None) -> datetime:
    """Items registered before this moment are outside the retention window."""
    if retention_days is None:
        retention_days = int(current_app.config["SELLER_DATA_RETENTION_DAYS"])
    return now - timedelta(days=retention_days)


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


_NORM_COLUMNS = (
    ("imei", Item.imei_norm),
    ("serial_number", Item.serial_norm),
    ("frame_number", Item.frame_norm),
)


def registered_pairs(
    session: Session, reports, *, now: datetime, retention_days: int | None = None
) -> list[tuple[int, Match]]:
    """(item id, match) for every item registered within the retention window that one of
    ``reports`` matches (``StolenReport``s or ``ReportRef``s), ordered by report, then item.

    Whatever the number of reports, a few indexed ``IN`` lookups per 500 values: candidates
    on the items' normalised columns and on their keys, then the candidates' identifiers
    in one query per 500 items, each pair explained in Python (``stolen_db.matching``).
    """
    reports = [r for r in reports if r.is_active]
    if not reports:
        return []
    session.flush()
    cutoff = retention_cutoff(now, retention_days)
    queries = [report_identifiers(r) for r in reports]
    candidates: set[tuple[int, int]] = set()  # (report index, item id)
    # Exact and normalised candidates on the items' indexed normalised columns ...
    for identifier_type, column in _NORM_COLUMNS:
        owners: dict[str, list[int]] = {}
        for index, query in enumerate(queries):
            norm = normalize(identifier_type, getattr(query, identifier_type))
            if norm:
                owners.setdefault(norm, []).append(index)
        # Fixed SQL on the session's connection: hundreds of IN lookups of 500 values, where
        # building a statement for each would cost as much as the lookup.
        for chunk in _chunks(list(owners)):
            sql = f"SELECT {column.name}, id FROM items WHERE {column.name} IN "  # noqa: S608
            for norm, item_id in fetch_all(session, f"{sql}({placeholders(len(chunk))})", chunk):
                candidates.update((index, item_id) for index in owners[norm])
    # ... look-alike and near candidates on the items' keys.
    owners = {}
    for index, query in enumerate(queries):
        # A bulk-inserted report carries its stored keys: the same as its query keys.
        keys = getattr(reports[index], "keys", None) or query_keys(query)
        for key in keys:
            owners.setdefault(key, []).append(index)
    sql = "SELECT key, item_id FROM item_identifier_keys WHERE key IN "
    for chunk in _chunks(list(owners)):
        for key, item_id in fetch_all(session, f"{sql}({placeholders(len(chunk))})", chunk):
            candidates.update((index, item_id) for index in owners[key])
    if not candidates:
        return []
    goods: dict[int, Identifiers] = {}
    for chunk in _chunks(sorted({item_id for _, item_id in candidates})):
        for item_id, brand, imei, serial, frame in session.execute(
            select(Item.id, Item.brand, Item.imei, Item.serial_number, Item.frame_number).where(
                Item.id.in_(chunk), Item.created_at >= cutoff
            )
        ):
            goods[item_id] = Identifiers(imei, serial, frame, brand)
    found = []
    for index, item_id in sorted(candidates):
        good = goods.get(item_id)
        if good is None:
            continue  # registered before the retention window
        why = explain(good, queries[index])
        if why is not None:
            report = reports[index]
            found.append((item_id, Match(report.id, report.report_number, *why)))
    return found


def registered_matches(
    session: Session, report: StolenReport, *, now: datetime, retention_days: int | None = None
) -> list[tuple[Item, Match]]:
    """Items registered within the retention window that ``report`` matches, with why."""
    pairs = registered_pairs(session, [report], now=now, retention_days=retention_days)
    items = _items(session, [item_id for item_id, _ in pairs])
    return [(items[item_id], match) for item_id, match in pairs]


def _items(session: Session, ids: list[int]) -> dict[int, Item]:
    items: dict[int, Item] = {}
    for chunk in _chunks(sorted(set(ids))):
        items.update((i.id, i) for i in session.scalars(select(Item).where(Item.id.in_(chunk))))
    return items


def retroactive_hits_many(session: Session, reports, now: datetime) -> int:
    """Record a hit for every registered item that one of many new theft reports matches;
    how many. Handed to ``stolen_db.init_app`` as ``find_registered_matches_many`` (the
    police's bulk import): runs inside the transaction that records the reports."""
    pairs = registered_pairs(session, reports, now=now)
    items = _items(session, [item_id for item_id, _ in pairs])
    per_report: dict[int, int] = {}
    for item_id, match in pairs:
        record_hit(session, items[item_id], match, trigger="theft_report", now=now)
        per_report[match.report_id] = per_report.get(match.report_id, 0) + 1
    for report_id, count in per_report.items():
        log.info(
            "stolen report %s matched %s registered items",
            report_id,
            count,
            extra={"stolen_report_id": report_id},
        )
    return len(pairs)


def retroactive_hits(session: Session, report: StolenReport, now: datetime) -> int:
    """Record a hit for every registered item a new theft report matches; how many.

    Handed to ``stolen_db.init_app`` as ``find_registered_matches``: runs inside the
    transaction that records the report.
    """
    return retroactive_hits_many(session, [report], now)


def record_hit(session: Session, item: Item, match: Match, *, trigger: str, now: datetime) -> Hit:
    """Record one hit with all it sets in motion (flushes, never commits). Idempotent."""
    existing = session.scalar(
        select(Hit).where(Hit.item_id == item.id, Hit.stolen_report_id == match.report_id)
    )
    if existing is not None:
        return existing
    hit = Hit(
        item_id=item.id,
        dealer_id=item.dealer_id,
        stolen_report_id=match.report_id,
        trigger=trigger,
        match_kind=match.kind,
        identifier_type=match.identifier_type,
        confidence=match.confidence,
        created_at=now,
    )
    session.add(hit)
    if item.status not in (ItemStatus.SOLD, ItemStatus.SEIZED, ItemStatus.POLICE_HOLD):
        transition_item(item, ItemStatus.POLICE_HOLD)
    session.flush()
    event = enqueue(
        session,
        "hit.created",
        hit_event_payload(hit, now=now),
        now=now,
        dedupe_key=f"hit:{hit.id}",
    )
    hit.outbox_event_id = event.id
    open_task(
        session,
        dealer=item.purchase.dealer,
        reason="hit",
        now=now,
        dedupe_key=f"hit:{hit.id}",
        details=f"item {item.id} matches stolen report {match.report_number}",
    )
    log.info(
        "hit %s: item %s matches stolen report %s (%s, %s)",
        hit.id,
        item.id,
        match.report_id,
        match.kind,
        trigger,
        extra={"hit_id": hit.id, "item_id": item.id, "stolen_report_id": match.report_id},
    )
    return hit
