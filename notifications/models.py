"""Outbox events: the row is the queue. Statuses and their transitions live here, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
# A late outcome or a replayed command that reaches an event in one of these is ignored.
FINAL_STATUSES = frozenset({DELIVERED, DEAD})

# What one delivery attempt came to.
ATTEMPT_DELIVERED, ATTEMPT_FAILED, ATTEMPT_LOST = "delivered", "failed", "lost"
ATTEMPT_OUTCOMES = (ATTEMPT_DELIVERED, ATTEMPT_FAILED, ATTEMPT_LOST)


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
    # Attempts in the current retry window (reset when an administrator sends it again);
    # the attempts table keeps every attempt ever made.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Which worker holds the claim ("<worker id>#<claim number>"): a late outcome from a
    # worker whose claim was swept away is recognised by it.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Start of the current retry window: creation, or the last "send again".
    retry_window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="event", order_by="DeliveryAttempt.id", lazy="select"
    )


class DeliveryAttempt(Base):
    """One attempt to deliver an event: when, by whom, how long, and what came back."""

    __tablename__ = "outbox_delivery_attempts"
    __table_args__ = (
        CheckConstraint("outcome IN ('delivered', 'failed', 'lost')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    worker_id: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)

    event: Mapped[OutboxEvent] = relationship(back_populates="delivery_attempts")


class NotificationWorker(Base):
    """A running worker process: its claims name it (``claimed_by`` is ``"<id>#<n>"``), and
    its heartbeat says it is alive. Claims of a worker whose heartbeat stopped, or whose row
    is gone, are taken back by the others (``worker.reclaim_from_dead_workers``)."""

    __tablename__ = "notification_workers"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
