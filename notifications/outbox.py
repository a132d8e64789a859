"""Enqueueing events: called by register code inside its own transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import PENDING, OutboxEvent


def enqueue(
    session: Session,
    event_type: str,
    payload: dict,
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> OutboxEvent:
    """Add an event to the outbox in the caller's transaction (flushes, never commits).

    With ``dedupe_key``, enqueueing the same cause twice returns the existing event.
    """
    if dedupe_key is not None:
        existing = session.scalar(select(OutboxEvent).where(OutboxEvent.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    event = OutboxEvent(
        message_id="msg_" + uuid.uuid4().hex,
        dedupe_key=dedupe_key,
        type=event_type,
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event
