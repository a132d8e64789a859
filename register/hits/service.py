"""Hits: matching registered items against Stop Heling, and what a match sets in motion.

Two directions, the same tiers (``stolen_db.matching``):

- at registration, ``check_items`` matches new items against the active stolen reports;
- when the police report a theft, ``retroactive_hits`` matches the report against the items
  registered within the retention window (``SELLER_DATA_RETENTION_DAYS``).

Both are index lookups: the reports' keys live in ``stolen_report_keys``, the items' in
``item_identifier_keys`` (written by ``check_items``). In the transaction that finds it, a hit
becomes: a ``Hit`` row (one per item and report), the item on police hold, a ``hit.created``
event in the outbox for the police, and an inspection task for the dealer's municipality.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from notifications.outbox import enqueue
from stolen_db.keys import identifier_keys
from stolen_db.matching import Identifiers, Match, explain, find_matches, query_keys
from stolen_db.models import StolenReport
from stolen_db.normalize import IDENTIFIER_TYPES, normalize

from ..database import in_batches, upsert_insert
from ..dealers.models import Dealer
from ..inspections.service import open_task
from ..integrity import ledger
from ..purchases.messages import Message
from ..purchases.models import (
    ITEM_TRANSITIONS,
    Correction,
    Item,
    ItemStatus,
    Purchase,
)
from .models import Hit, ItemIdentifierKey
from .notices import mail_holds
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


def item_keys(item) -> set[int]:
    """The look-alike and near keys of an item's identifiers (``stolen_db.keys``): an
    ``Item``, ``Identifiers`` or any object with the identifiers and the brand."""
    keys: set[int] = set()
    for identifier_type in IDENTIFIER_TYPES:
        keys |= identifier_keys(identifier_type, getattr(item, identifier_type), item.brand)
    return keys


def store_item_keys(session: Session, rows: Sequence[tuple[int, int]]) -> None:
    """(key, item id) rows into ``item_identifier_keys``, keeping those already there (as
    plain table rows: they are never loaded as objects of the session)."""
    if not rows:
        return
    session.execute(
        upsert_insert(session, ItemIdentifierKey.__table__).on_conflict_do_nothing(),
        [{"key": key, "item_id": item_id} for key, item_id in rows],
    )


def index_item(session: Session, item_id: int, identifiers: Identifiers) -> None:
    """Store the keys of an item whose identifiers were corrected, for retroactive matching
    (the keys it has already stay: they find it as a candidate that matching rejects)."""
    store_item_keys(session, [(key, item_id) for key in sorted(item_keys(identifiers))])


# Registering goods and reporting thefts must see each other. Each side matches against
# what the other has committed; with both transactions open at once, each would miss the
# other's row and the hit would be lost. So they take turns: on PostgreSQL registrations
# hold this advisory lock shared (they do not wait for each other) and the matching of new
# reports holds it exclusively, both until their transaction ends; a matcher that waited
# then sees what the other committed (READ COMMITTED: each statement sees the latest).
# SQLite has one writer at a time, and both sides write before they match.
MATCHING_LOCK = 0x53544F5048454C  # "STOPHEL"


def _take_turn(session: Session, *, exclusive: bool) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        connection.exec_driver_sql(f"SELECT {function}({MATCHING_LOCK})")


def registration_turn(session: Session) -> None:
    """Before matching new or changed goods against the stolen reports."""
    _take_turn(session, exclusive=False)


def report_turn(session: Session) -> None:
    """Before matching new or changed stolen reports against the registered goods."""
    _take_turn(session, exclusive=True)


def check_items(session: Session, items: Sequence[Item], *, now: datetime) -> list[Hit]:
    """Check newly registered (flushed) items against the active stolen reports, every tier:
    store their keys for retroactive matching, look them all up in one batch and record
    every hit (``record_hits``). The hits, in the order of ``items``."""
    registration_turn(session)
    keys = [item_keys(item) for item in items]
    rows = [(key, item.id) for item, of_item in zip(items, keys, strict=True) for key in of_item]
    store_item_keys(session, sorted(rows))  # in key order: the key index's pages once
    ledger.record_indexed(session, items, keys)
    goods = [item_identifiers(item) for item in items]
    found = find_matches(session, goods, keys=keys)
    pairs = [(item, match) for item, matches in zip(items, found, strict=True)
             for match in matches]  # fmt: skip
    return record_hits(session, pairs, trigger="registration", now=now)


def retention_cutoff(now: datetime, retention_days: int | None = None) -> datetime:
    """Items registered before this moment are outside the retention window."""
    if retention_days is None:
        retention_days = int(current_app.config["SELLER_DATA_RETENTION_DAYS"])
    return now - timedelta(days=retention_days)


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
    report_turn(session)
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
        for chunk in in_batches(sorted(owners)):  # in key order: neighbouring index pages
            for norm, item_id in session.execute(select(column, Item.id).where(column.in_(chunk))):
                candidates.update((index, item_id) for index in owners[norm])
    # ... look-alike and near candidates on the items' keys.
    owners = {}
    for index, query in enumerate(queries):
        # A bulk-inserted report carries its stored keys: the same as its query keys.
        keys = getattr(reports[index], "keys", None) or query_keys(query)
        for key in keys:
            owners.setdefault(key, []).append(index)
    for chunk in in_batches(sorted(owners)):  # in key order: neighbouring index pages
        for key, item_id in session.execute(
            select(ItemIdentifierKey.key, ItemIdentifierKey.item_id).where(
                ItemIdentifierKey.key.in_(chunk)
            )
        ):
            candidates.update((index, item_id) for index in owners[key])
    if not candidates:
        return []
    goods: dict[int, Identifiers] = {}
    purchase_of: dict[int, int] = {}
    for chunk in in_batches(sorted({item_id for _, item_id in candidates})):
        for item_id, purchase_id, brand, imei, serial, frame in session.execute(
            select(
                Item.id, Item.purchase_id, Item.brand, Item.imei, Item.serial_number,
                Item.frame_number,
            ).where(Item.id.in_(chunk), Item.created_at >= cutoff)
        ):  # fmt: skip
            goods[item_id] = Identifiers(imei, serial, frame, brand)
            purchase_of[item_id] = purchase_id
    _apply_corrections(session, goods, purchase_of)
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


def _apply_corrections(
    session: Session, goods: dict[int, Identifiers], purchase_of: dict[int, int]
) -> None:
    """The identifiers and brand of each good as its entry's corrections say they are now:
    an item keeps what was typed at registration (the chain covers it), a correction records
    what replaces it. One query per 500 entries; few entries have corrections."""
    fields = ("imei", "serial_number", "frame_number", "brand")
    for chunk in in_batches(sorted(set(purchase_of.values()))):
        for (changes,) in session.execute(
            select(Correction.changes)
            .where(Correction.purchase_id.in_(chunk))
            .order_by(Correction.id)
        ):
            for change in changes.get("items", []):
                good = goods.get(change.get("id"))
                if good is not None:
                    goods[change["id"]] = good._replace(
                        **{k: v for k, v in change.items() if k in fields}
                    )


def registered_matches(
    session: Session, report: StolenReport, *, now: datetime, retention_days: int | None = None
) -> list[tuple[Item, Match]]:
    """Items registered within the retention window that ``report`` matches, with why."""
    pairs = registered_pairs(session, [report], now=now, retention_days=retention_days)
    items = _items(session, [item_id for item_id, _ in pairs])
    return [(items[item_id], match) for item_id, match in pairs]


def _items(session: Session, ids: list[int]) -> dict[int, Item]:
    """The items by id, with what a hit's payload reads (purchase, dealer, seller)."""
    items: dict[int, Item] = {}
    for chunk in in_batches(sorted(set(ids))):
        items.update(
            (item.id, item)
            for item in session.scalars(
                select(Item)
                .where(Item.id.in_(chunk))
                .options(
                    joinedload(Item.purchase).options(
                        joinedload(Purchase.dealer).joinedload(Dealer.municipality),
                        joinedload(Purchase.seller),
                    )
                )
            ).unique()
        )
    return items


def retroactive_hits(session: Session, reports, now: datetime) -> int:
    """Record a hit for every registered item that one of the new theft reports matches;
    how many. Handed to ``stolen_db.init_app`` as ``find_registered_matches``: runs inside
    the transaction that records the reports."""
    pairs = registered_pairs(session, reports, now=now)
    items = _items(session, [item_id for item_id, _ in pairs])
    record_hits(session, [(items[i], m) for i, m in pairs], trigger="theft_report", now=now)
    per_report: dict[int, int] = {}
    for _, match in pairs:
        per_report[match.report_id] = per_report.get(match.report_id, 0) + 1
    for report_id, count in per_report.items():
        log.info(
            "stolen report %s matched %s registered items",
            report_id,
            count,
            extra={"stolen_report_id": report_id},
        )
    return len(pairs)


# The statuses an item may go on police hold from (a sold or seized item stays as it is).
_HOLDABLE = tuple(
    status.value
    for status, targets in ITEM_TRANSITIONS.items()
    if ItemStatus.POLICE_HOLD in targets
)


def record_hits(
    session: Session, found: Sequence[tuple[Item, Match]], *, trigger: str, now: datetime
) -> list[Hit]:
    """Record the hit of every (item, match) with all it sets in motion: the ``Hit``, the
    item on police hold, a ``hit.created`` event in the outbox for the police, an
    inspection task for the dealer's municipality and, for the items it put on hold, one
    mail to each account of their dealer (flushes, never commits). Idempotent: a
    pair that has its hit already keeps it. The hits in the order of ``found``; each item's
    ``purchase`` with its dealer and seller is what the event's payload reads."""
    if not found:
        return []
    hits: dict[tuple[int, int], Hit] = {}
    item_ids = sorted({item.id for item, _ in found})
    for chunk in in_batches(item_ids):
        hits.update(
            ((hit.item_id, hit.stolen_report_id), hit)
            for hit in session.scalars(select(Hit).where(Hit.item_id.in_(chunk)))
        )
    new: list[tuple[Hit, Item, Match]] = []
    for item, match in found:
        if (item.id, match.report_id) in hits:
            continue
        hit = Hit(
            item=item,
            dealer_id=item.dealer_id,
            stolen_report_id=match.report_id,
            trigger=trigger,
            match_kind=match.kind,
            identifier_type=match.identifier_type,
            confidence=match.confidence,
            created_at=now,
        )
        session.add(hit)
        hits[(item.id, match.report_id)] = hit
        new.append((hit, item, match))
    session.flush()  # the new hits' ids name their events and tasks
    # On hold where the item may go on hold as its row is now (a sale committed meanwhile
    # stays); the session's copies follow.
    ledger.record_holds(
        session, list({item.id: item for _, item, _ in new if item.status in _HOLDABLE}.values())
    )
    held: set[int] = set()  # the items this transaction put on hold
    for chunk in in_batches(sorted({item.id for _, item, _ in new})):
        held.update(
            session.scalars(
                update(Item)
                .where(Item.id.in_(chunk), Item.status.in_(_HOLDABLE))
                .values(status=ItemStatus.POLICE_HOLD.value)
                .returning(Item.id)
                .execution_options(synchronize_session="fetch")
            )
        )
    for hit, item, match in new:
        dedupe_key = f"hit:{hit.id}"
        payload = hit_event_payload(hit_id=hit.id, trigger=trigger, match=match, item=item,
                                    item_status=item.status, now=now)  # fmt: skip
        hit.outbox_event_id = enqueue(
            session, "hit.created", payload, now=now, dedupe_key=dedupe_key
        ).id
        open_task(
            session,
            dealer=item.purchase.dealer,
            reason="hit",
            now=now,
            dedupe_key=dedupe_key,
            details=Message(
                "item %(item)s matches stolen report %(report)s",
                item=item.id,
                report=match.report_number,
            ),
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
    ledger.record_new_hits(
        session, [{name: getattr(hit, name) for name in ledger.HIT_FIELDS} for hit, _, _ in new]
    )
    if held:
        mail_holds(
            session,
            list({item.id: item for _, item, _ in new if item.id in held}.values()),
            first_hit_id=min(hit.id for hit, _, _ in new),
            now=now,
        )
    session.flush()
    return [hits[(item.id, match.report_id)] for item, match in found]
