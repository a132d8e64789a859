"""Hits: matching a registered item against Stop Heling, and what a match sets in motion.

In the transaction that finds it, a hit becomes: a ``Hit`` row (one per item and report), the
item on police hold, a ``hit.created`` event in the outbox for the police, and an inspection
task for the dealer's municipality.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from stolen_db.matching import Identifiers, Match, find_matches

from ..inspections.service import open_task
from ..purchases.models import Item, ItemStatus, transition_item
from .models import Hit
from .payload import hit_event_payload


def check_item(session: Session, item: Item, *, now: datetime) -> list[Hit]:
    """Check a newly registered item against active stolen reports; record every hit."""
    identifiers = Identifiers(
        imei=item.imei,
        serial_number=item.serial_number,
        frame_number=item.frame_number,
        brand=item.brand,
    )
    return [
        record_hit(session, item, match, trigger="registration", now=now)
        for match in find_matches(session, identifiers)
    ]


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
    return hit
