"""The worker records the outcomes of a claimed batch together, and exactly as one by one."""

from __future__ import annotations

from sqlalchemy import func, select

from notifications.models import DELIVERED, IN_FLIGHT, PENDING, DeliveryAttempt, OutboxEvent
from notifications.outbox import transition, transition_many

from .helpers import add_events, make_worker, start_receiver


def _status(session):
    session.rollback()
    rows = session.execute(select(OutboxEvent.status).order_by(OutboxEvent.id)).scalars().all()
    session.rollback()
    return rows


def test_a_batch_of_deliveries_is_recorded_with_one_attempt_each(app, session, clock):
    receiver = start_receiver()
    try:
        add_events(session, clock, 25)
        worker = make_worker(app, receiver.url, batch_size=10)
        assert worker.run_once() == 25
    finally:
        receiver.stop()
    assert _status(session) == [DELIVERED] * 25
    attempts = session.execute(
        select(DeliveryAttempt.event_id, func.count()).group_by(DeliveryAttempt.event_id)
    ).all()
    session.rollback()
    assert len(attempts) == 25 and {n for _, n in attempts} == {1}


def test_moving_many_events_is_all_or_nothing_and_says_which(app, session, clock):
    events = add_events(session, clock, 3)
    now = clock.now()
    for event in events:
        transition(session, event.id, IN_FLIGHT, now=now, claimed_by="w#1")
    # One of them is no longer in flight (swept back to pending by another worker).
    transition(session, events[1].id, PENDING, now=now, claimed_by=None)
    moves = [(e.id, now) for e in events]
    assert transition_many(session, moves, DELIVERED, now_columns=("delivered_at",)) is False
    session.rollback()
    moves = [(events[0].id, now), (events[2].id, now)]
    for event in events:
        transition(session, event.id, IN_FLIGHT, now=now, from_statuses=(PENDING,))
    assert transition_many(session, moves, DELIVERED, now_columns=("delivered_at",),
                           attempts=OutboxEvent.attempts + 1)  # fmt: skip
    session.commit()
    delivered = session.scalars(
        select(OutboxEvent.delivered_at).where(OutboxEvent.status == DELIVERED)
    ).all()
    assert len(delivered) == 2 and all(d is not None for d in delivered)
