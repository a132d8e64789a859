"""Outbox events: the row is the queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from . import Base

# Statuses in one place; transitions are enforced by notifications.outbox.transition.
PENDING, IN_FLIGHT, DELIVERED, DEAD = "pending", "in_flight", "delivered", "dead"
EVENT_STATUSES = (PENDING, IN_FLIGHT, DELIVERED, DEAD)
ALLOWED_TRANSITIONS = {
    PENDING: {IN_FLIGHT},
    IN_FLIGHT: {DELIVERED, PENDING, DEAD},
    DELIVERED: set(),
    DEAD: {PENDING},  # an administrator sends it again
}


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'in_flight', 'delivered', 'dead')", name="status"),
        Index("ix_outbox_events_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Standard Webhooks message id: the same on every attempt of this event.
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    # Makes enqueueing idempotent: one event per cause (for example one per hit).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
