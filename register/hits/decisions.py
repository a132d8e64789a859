"""The police's decision on an item on police hold: seize it, or release it to the dealer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..accounts.audit import record_access
from ..purchases.messages import Message
from ..purchases.models import Item, ItemStatus, transition_item
from .notices import mail_decision

DECISIONS = {"seized": ItemStatus.SEIZED, "released": ItemStatus.RELEASED}


class NotOnHold(Exception):
    """Only an item on police hold can be seized or released."""


def decide(
    session: Session, item: Item, decision: str, *, user_id: int, note: str | None, now: datetime
) -> Item:
    """Seize or release a held item (flushes, never commits); the decision is audited and
    the item's dealer is mailed of it."""
    if item.status != ItemStatus.POLICE_HOLD:
        raise NotOnHold(
            Message("item %(id)s is %(status)s, not on police hold", id=item.id, status=item.status)
        )
    transition_item(item, DECISIONS[decision])
    entry = record_access(
        session,
        user_id=user_id,
        action=f"item_{decision}",
        record_type="item",
        record_id=item.id,
        purpose=note,
        details={"dealer_id": item.dealer_id, "at": now.isoformat()},
    )
    mail_decision(session, item, decision, decision_id=entry.id, now=now)
    return item
