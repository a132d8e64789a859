"""The outbox: enqueueing events and the one function that moves an event between statuses.

Register code calls ``enqueue`` inside its own transaction, so an event exists exactly when
the change that caused it was committed. Every status change afterwards goes through
``transition`` (the worker's bulk claim applies the same table, see ``claimable_statuses``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import (
    ALLOWED_TRANSITIONS,
    DEAD,
    EVENT_STATUSES,
    FINAL_STATUSES,
    IN_FLIGHT,
    PENDING,
    OutboxEvent,
)

log = logging.getLogger(__name__)


class IllegalTransition(Exception):
    """A status change the state machine does not allow."""


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp stored here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        retry_window_start=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    return event


def claimable_statuses() -> tuple[str, ...]:
    """The statuses a worker may claim from (those allowed to move to in flight)."""
    return tuple(s for s in EVENT_STATUSES if IN_FLIGHT in ALLOWED_TRANSITIONS[s])


def transition(
    session: Session, event: OutboxEvent, new_status: str, *, now: datetime, **changes
) -> bool:
    """Move one event to ``new_status`` under a row lock, with ``changes`` to its columns.

    Returns True when the event moved. A move out of a final status that the table does not
    allow is a replay (a late worker outcome, a double click) and is ignored: False. Any
    other move the table does not allow raises ``IllegalTransition``.
    """
    if new_status not in ALLOWED_TRANSITIONS:
        raise IllegalTransition(f"unknown status {new_status!r}")
    # Re-read the row under lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers are
    # serialised anyway), so the check and the write see the same status.
    session.refresh(event, with_for_update=True)
    current = event.status
    if new_status not in ALLOWED_TRANSITIONS[current]:
        if current in FINAL_STATUSES:
            log.info(
                "event %s is %s already; ignoring move to %s",
                event.id,
                current,
                new_status,
                extra={"event_id": event.id},
            )
            return False
        raise IllegalTransition(f"event {event.id}: {current} -> {new_status} is not allowed")
    event.status = new_status
    event.updated_at = now
    for name, value in changes.items():
        if not hasattr(OutboxEvent, name):
            raise AttributeError(f"OutboxEvent has no column {name!r}")
        setattr(event, name, value)
    session.flush()
    return True


def resend(session: Session, event: OutboxEvent, *, now: datetime) -> bool:
    """Send a dead event again: a new retry window, due at once, the same webhook-id."""
    if event.status != DEAD:
        raise IllegalTransition(f"event {event.id} is {event.status}; only dead events are resent")
    return transition(
        session,
        event,
        PENDING,
        now=now,
        attempts=0,
        next_attempt_at=now,
        retry_window_start=now,
        claimed_at=None,
        claimed_by=None,
    )


def counts_by_status(session: Session) -> dict[str, int]:
    """How many events there are in each status (every status present, zero included)."""
    rows = session.execute(
        select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)
    ).all()
    counts = dict.fromkeys(EVENT_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts
