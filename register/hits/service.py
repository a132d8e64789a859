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
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from stolen_db.keys import identifier_keys
from stolen_db.matching import Identifiers, Match, explain, find_matches, query_keys
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
    stored = set(
        session.scalars(select(ItemIdentifierKey.key).where(ItemIdentifierKey.item_id == item.id))
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


def retention_cutoff(now: datetime, retention_days: int | None = None) -> datetime:
    """Items registered before this moment are outside the retention window."""
    if retention_days is None:
        retention_days = int(current_app.config["SELLER_DATA_RETENTION_DAYS"])
    return now - timedelta(days=retention_days)


def registered_matches(
    session: Session, report: StolenReport, *, now: datetime, retention_days: int | None = None
) -> list[tuple[Item, Match]]:
    """Items registered within the retention window that ``report`` matches, with why."""
    if not report.is_active:
        return []
    session.flush()
    cutoff = retention_cutoff(now, retention_days)
    query = report_identifiers(report)
    # Exact and normalised candidates on the items' indexed normalised columns ...
    norm_conditions = [
        column == normalize(identifier_type, value)
        for identifier_type, column, value in (
            ("imei", Item.imei_norm, report.imei),
            ("serial_number", Item.serial_norm, report.serial_number),
            ("frame_number", Item.frame_norm, report.frame_number),
        )
        if value and normalize(identifier_type, value)
    ]
    candidate_ids: set[int] = set()
    if norm_conditions:
        candidate_ids |= set(session.scalars(select(Item.id).where(or_(*norm_conditions))))
    # ... look-alike and near candidates on the items' keys.
    keys = query_keys(query)
    if keys:
        candidate_ids |= set(
            session.scalars(
                select(ItemIdentifierKey.item_id).where(ItemIdentifierKey.key.in_(keys))
            )
        )
    if not candidate_ids:
        return []
    items = session.scalars(
        select(Item).where(Item.id.in_(candidate_ids), Item.created_at >= cutoff).order_by(Item.id)
    ).all()
    found = []
    for item in items:
        why = explain(item_identifiers(item), query)
        if why is not None:
            match = Match(report.id, report.report_number, why.kind, why.identifier_type,
                          why.confidence)  # fmt: skip
            found.append((item, match))
    return found


def retroactive_hits(session: Session, report: StolenReport, now: datetime) -> int:
    """Record a hit for every registered item a new theft report matches; how many.

    Handed to ``stolen_db.init_app`` as ``find_registered_matches``: runs inside the
    transaction that records the report.
    """
    matches = registered_matches(session, report, now=now)
    for item, match in matches:
        record_hit(session, item, match, trigger="theft_report", now=now)
    if matches:
        log.info(
            "stolen report %s matched %s registered items",
            report.id,
            len(matches),
            extra={"stolen_report_id": report.id},
        )
    return len(matches)


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
