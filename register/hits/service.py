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
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from notifications.models import OutboxEvent
from notifications.outbox import enqueue_new
from stolen_db.key_tables import insert_key_rows
from stolen_db.keys import identifier_keys
from stolen_db.lookup import fetch_all, one_of, one_of_args, takes_arrays
from stolen_db.matching import (
    Identifiers,
    Match,
    explain,
    find_matches_later,
    query_keys,
)
from stolen_db.models import StolenReport
from stolen_db.normalize import IDENTIFIER_TYPES, normalize

from ..database import allocate_ids, pipelined
from ..dealers.models import Dealer
from ..inspections.service import TaskRequest, open_tasks
from ..purchases.messages import Message
from ..purchases.models import ITEM_TRANSITIONS, Correction, Item, ItemStatus, Purchase
from .models import Hit
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


def insert_item_keys(session: Session, rows: list[tuple[int, int]]) -> None:
    """(key, item id) rows into ``item_identifier_keys``, keeping those already there."""
    insert_key_rows(session, "item_identifier_keys", rows)


def index_item(session: Session, item_id: int, identifiers: Identifiers) -> None:
    """Store the keys of an item whose identifiers were corrected, for retroactive matching
    (the keys it has already stay: they find it as a candidate that matching rejects)."""
    session.flush()
    insert_item_keys(session, [(key, item_id) for key in item_keys(identifiers)])


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


def check_item(session: Session, item: Item, *, now: datetime) -> bool:
    """Check a newly registered (flushed) item against active stolen reports, every tier;
    store its keys and record every hit. Whether it made a hit."""
    return bool(check_new_items(session, [item], now=now))


def check_new_items(
    session: Session, items, *, now: datetime, trigger: str = "registration"
) -> set[int]:
    """``check_item`` for many items just inserted (objects with the item's ``id``,
    ``brand`` and identifiers): ``match_new_items``, then every hit recorded. The ids of the
    items that made a hit. Checking an item again adds nothing."""
    pairs = match_new_items(session, items)
    record_hits(session, pairs, trigger=trigger, now=now)
    return {item_id for item_id, _ in pairs}


def match_new_items(
    session: Session,
    items,
    keys=None,
    matches: list[list[Match]] | None = None,
) -> list[tuple[int, Match]]:
    """(item id, match) for every active stolen report that one of ``items`` (just inserted)
    matches. Their keys (``item_keys``; ``keys`` when the caller has them, one set per item)
    are stored in one bulk insert and they are matched in batches (``find_matches_many``);
    nothing is recorded (``record_hits``).

    ``matches``: each item's ``find_matches_many`` answer, when the caller looked them up on
    another connection after this transaction took its turn (a large CSV import's helper
    process): from then on no report can be added that those lookups missed."""
    return match_new_items_later(session, items, keys, matches)()


def match_new_items_later(
    session: Session,
    items,
    keys=None,
    matches: list[list[Match]] | None = None,
) -> Callable[[], list[tuple[int, Match]]]:
    """``match_new_items``, its answer made when the returned function is called: inside
    ``register.database.pipelined``, call it after the block (``find_matches_later``).
    Reads only through ``stolen_db.lookup``."""
    registration_turn(session)
    if keys is None:
        keys = [item_keys(item) for item in items]
    rows = [(key, item.id) for item, of_item in zip(items, keys, strict=True) for key in of_item]
    # In key order: the inserts walk the key index's pages once instead of at random.
    insert_item_keys(session, sorted(rows))
    if matches is None:
        # An item's keys are the keys that find its look-alike and near candidates.
        goods = [item_identifiers(item) for item in items]
        found_later = find_matches_later(session, goods, keys=keys)
    else:
        found_later = lambda: matches  # noqa: E731 - looked up already

    def pairs() -> list[tuple[int, Match]]:
        return [(item.id, match) for item, found in zip(items, found_later(), strict=True)
                for match in found]  # fmt: skip

    return pairs


def _mark_held(item) -> None:
    """An item put on police hold by a statement of its own: its status in memory, without
    making a model dirty (a flush would write it again)."""
    if isinstance(item, Item):
        set_committed_value(item, "status", ItemStatus.POLICE_HOLD.value)
    else:
        item.status = ItemStatus.POLICE_HOLD.value


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
    report_turn(session)
    cutoff = retention_cutoff(now, retention_days)
    queries = [report_identifiers(r) for r in reports]
    candidates: set[tuple[int, int]] = set()  # (report index, item id)
    arrays = takes_arrays(session)
    # Exact and normalised candidates on the items' indexed normalised columns ...
    for identifier_type, column in _NORM_COLUMNS:
        owners: dict[str, list[int]] = {}
        for index, query in enumerate(queries):
            norm = normalize(identifier_type, getattr(query, identifier_type))
            if norm:
                owners.setdefault(norm, []).append(index)
        # Fixed SQL on the session's connection: hundreds of IN lookups of 500 values, where
        # building a statement for each would cost as much as the lookup.
        for chunk in _chunks(sorted(owners)):  # in key order: neighbouring index pages
            count, params = one_of_args(chunk, arrays)
            where = one_of(column.name, count, "text")
            sql = f"SELECT {column.name}, id FROM items WHERE {where}"  # noqa: S608
            for norm, item_id in fetch_all(session, sql, params):
                candidates.update((index, item_id) for index in owners[norm])
    # ... look-alike and near candidates on the items' keys.
    owners = {}
    for index, query in enumerate(queries):
        # A bulk-inserted report carries its stored keys: the same as its query keys.
        keys = getattr(reports[index], "keys", None) or query_keys(query)
        for key in keys:
            owners.setdefault(key, []).append(index)
    for chunk in _chunks(sorted(owners)):  # in key order: neighbouring index pages
        count, params = one_of_args(chunk, arrays)
        where = one_of("key", count)
        sql = f"SELECT key, item_id FROM item_identifier_keys WHERE {where}"  # noqa: S608
        for key, item_id in fetch_all(session, sql, params):
            candidates.update((index, item_id) for index in owners[key])
    if not candidates:
        return []
    goods: dict[int, Identifiers] = {}
    purchase_of: dict[int, int] = {}
    for chunk in _chunks(sorted({item_id for _, item_id in candidates})):
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
    for chunk in _chunks(sorted(set(purchase_of.values()))):
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
    items: dict[int, Item] = {}
    for chunk in _chunks(sorted(set(ids))):
        items.update((i.id, i) for i in session.scalars(select(Item).where(Item.id.in_(chunk))))
    return items


def retroactive_hits_many(session: Session, reports, now: datetime) -> int:
    """Record a hit for every registered item that one of many new theft reports matches;
    how many. Handed to ``stolen_db.init_app`` as ``find_registered_matches_many`` (the
    police's bulk import): runs inside the transaction that records the reports."""
    pairs = registered_pairs(session, reports, now=now)
    record_hits(session, pairs, trigger="theft_report", now=now)
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


def retroactive_hits(session: Session, report: StolenReport, now: datetime) -> int:
    """Record a hit for every registered item a new theft report matches; how many.

    Handed to ``stolen_db.init_app`` as ``find_registered_matches``: runs inside the
    transaction that records the report.
    """
    return retroactive_hits_many(session, [report], now)


# The statuses an item may go on police hold from (a sold or seized item stays as it is).
_HOLDABLE = tuple(
    status.value
    for status, targets in ITEM_TRANSITIONS.items()
    if ItemStatus.POLICE_HOLD in targets
)


def record_hit(session: Session, item: Item, match: Match, *, trigger: str, now: datetime) -> Hit:
    """Record one hit with all it sets in motion (flushes, never commits). Idempotent."""
    (hit_id,) = record_hits(session, [(item.id, match)], trigger=trigger, now=now)
    return session.get(Hit, hit_id)


def record_hits(
    session: Session,
    pairs: list[tuple[int, Match]],
    *,
    trigger: str,
    now: datetime,
    new_items: dict | None = None,
) -> list[int]:
    """Record the hit of every (item id, match) with all it sets in motion: the ``Hit``, the
    item on police hold, a ``hit.created`` event in the outbox, an inspection task for the
    dealer's municipality. Idempotent: a pair that has its hit already keeps it. The hit ids
    in the order of ``pairs``.

    A few statements whatever the number of pairs (a CSV import or a bulk theft import makes
    thousands): the items with what the payload needs in one query per 500, the new hits'
    and their events' ids in one, then the hold and one multi-row insert each for hits,
    events and tasks, sent together (on PostgreSQL one round trip). Flushes, never commits.

    ``new_items``: the items by id when they were registered in this transaction (with
    ``purchase``, its ``dealer`` and ``seller``, as the payload reads them): nothing is
    loaded, and they have no hits yet.
    """
    if not pairs:
        return []
    session.flush()
    item_ids = sorted({item_id for item_id, _ in pairs})
    items: dict = {}
    existing: dict[tuple[int, int], int] = {}
    if new_items is not None:
        items = {item_id: new_items[item_id] for item_id in item_ids}
        item_ids = []
    for chunk in _chunks(item_ids):
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
        existing.update(
            ((item_id, report_id), hit_id)
            for hit_id, item_id, report_id in session.execute(
                select(Hit.id, Hit.item_id, Hit.stolen_report_id).where(Hit.item_id.in_(chunk))
            )
        )
    fresh: dict[tuple[int, int], Match] = {}
    for item_id, match in pairs:
        if (item_id, match.report_id) not in existing:
            fresh.setdefault((item_id, match.report_id), match)
    new = [(item_id, match) for (item_id, _), match in fresh.items()]
    # Every new hit's id, and its event's, in one statement: the writes below then need no
    # answer and go to the server together, one round trip (a hit at the counter adds two).
    ids = allocate_ids(session, {Hit: len(new), OutboxEvent: len(new)})
    hit_ids, event_ids = ids[Hit], ids[OutboxEvent]
    held = [item_id for item_id in dict.fromkeys(item_id for item_id, _ in new)
            if items[item_id].status in _HOLDABLE]  # fmt: skip
    for item_id in held:  # what the payloads say, and the session's copies too
        _mark_held(items[item_id])
    with pipelined(session):
        if held:
            session.connection().execute(
                update(Item.__table__)
                .where(Item.id.in_(held), Item.status.in_(_HOLDABLE))
                .values(status=ItemStatus.POLICE_HOLD.value)
            )
        enqueue_new(
            session,
            "hit.created",
            [
                (event_id, f"hit:{hit_id}", hit_event_payload(
                    hit_id=hit_id, trigger=trigger, match=match, item=items[item_id],
                    item_status=items[item_id].status, now=now))
                for hit_id, event_id, (item_id, match) in zip(hit_ids, event_ids, new,
                                                              strict=True)
            ],
            now=now,
        )  # fmt: skip
        if new:
            session.connection().execute(
                insert(Hit.__table__).inline(),  # no RETURNING: nothing is read
                [
                    {
                        "id": hit_id,
                        "item_id": item_id,
                        "dealer_id": items[item_id].dealer_id,
                        "stolen_report_id": match.report_id,
                        "trigger": trigger,
                        "match_kind": match.kind,
                        "identifier_type": match.identifier_type,
                        "confidence": match.confidence,
                        "created_at": now,
                        "outbox_event_id": event_id,
                    }
                    for hit_id, event_id, (item_id, match) in zip(
                        hit_ids, event_ids, new, strict=True
                    )
                ],
            )
        open_tasks(
            session,
            [
                TaskRequest(
                    dealer_id=items[item_id].dealer_id,
                    municipality_id=items[item_id].purchase.dealer.municipality_id,
                    reason="hit",
                    dedupe_key=f"hit:{hit_id}",
                    details=Message(
                        "item %(item)s matches stolen report %(report)s",
                        item=item_id,
                        report=match.report_number,
                    ),
                )
                for hit_id, (item_id, match) in zip(hit_ids, new, strict=True)
            ],
            now=now,
            new_keys=True,  # hit:<a new hit's id>
        )
    for hit_id, (item_id, match) in zip(hit_ids, new, strict=True):
        log.info(
            "hit %s: item %s matches stolen report %s (%s, %s)",
            hit_id,
            item_id,
            match.report_id,
            match.kind,
            trigger,
            extra={"hit_id": hit_id, "item_id": item_id, "stolen_report_id": match.report_id},
        )
    created = dict(zip(((i, m.report_id) for i, m in new), hit_ids, strict=True))
    return [existing.get((i, m.report_id)) or created[(i, m.report_id)] for i, m in pairs]
