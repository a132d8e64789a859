"""The outbox state machine: one transition function, a CHECK constraint, idempotent enqueue."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from notifications.models import (
    ALLOWED_TRANSITIONS,
    DEAD,
    DELIVERED,
    EVENT_STATUSES,
    IN_FLIGHT,
    PENDING,
    OutboxEvent,
)
from notifications.outbox import (
    IllegalTransition,
    aware,
    claimable_statuses,
    counts_by_status,
    enqueue,
    resend,
    transition,
)


def _event(session, clock, **changes) -> OutboxEvent:
    event = enqueue(session, "hit.created", {"type": "hit.created"}, now=clock.now())
    for name, value in changes.items():
        setattr(event, name, value)
    session.commit()
    return event


def test_enqueue_starts_pending_and_due_now_with_a_webhook_id(session, clock):
    event = _event(session, clock)
    assert event.status == PENDING
    assert event.attempts == 0
    assert aware(event.next_attempt_at) == clock.now()
    assert event.message_id.startswith("msg_")


def test_enqueueing_the_same_cause_twice_returns_the_first_event(session, clock):
    first = enqueue(session, "hit.created", {"n": 1}, now=clock.now(), dedupe_key="hit:7")
    again = enqueue(session, "hit.created", {"n": 2}, now=clock.now(), dedupe_key="hit:7")
    session.commit()
    assert again.id == first.id
    assert session.query(OutboxEvent).count() == 1


def test_every_allowed_transition_is_performed(session, clock):
    for source, targets in ALLOWED_TRANSITIONS.items():
        for target in targets:
            event = _event(session, clock, status=source)
            assert transition(session, event, target, now=clock.now()) is True
            session.commit()
            assert event.status == target


@pytest.mark.parametrize(
    ("source", "target"),
    [(PENDING, DELIVERED), (PENDING, DEAD), (PENDING, PENDING), (IN_FLIGHT, IN_FLIGHT)],
)
def test_an_illegal_transition_is_refused(session, clock, source, target):
    event = _event(session, clock, status=source)
    with pytest.raises(IllegalTransition):
        transition(session, event, target, now=clock.now())
    session.rollback()
    assert session.get(OutboxEvent, event.id).status == source


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (DELIVERED, PENDING),
        (DELIVERED, DEAD),
        (DELIVERED, DELIVERED),
        (DEAD, DELIVERED),
        (DEAD, IN_FLIGHT),
    ],
)
def test_a_replay_from_a_final_status_is_ignored(session, clock, source, target):
    event = _event(session, clock, status=source)
    assert transition(session, event, target, now=clock.now(), last_error="late") is False
    session.commit()
    assert event.status == source
    assert event.last_error is None


def test_an_unknown_status_is_refused(session, clock):
    event = _event(session, clock)
    with pytest.raises(IllegalTransition):
        transition(session, event, "lost", now=clock.now())


def test_the_database_refuses_an_unknown_status(session, clock):
    event = _event(session, clock)
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE outbox_events SET status = 'lost' WHERE id = :id"), {"id": event.id}
        )
        session.flush()
    session.rollback()


def test_the_transition_re_reads_the_row_it_changes(session, clock):
    event = _event(session, clock)
    # Another process delivered it meanwhile; this session's copy still says pending.
    session.execute(
        text("UPDATE outbox_events SET status = 'delivered' WHERE id = :id"), {"id": event.id}
    )
    session.commit()
    event.status  # noqa: B018  (load the now-stale copy)
    assert transition(session, event, PENDING, now=clock.now()) is False
    assert event.status == DELIVERED


def test_only_pending_events_can_be_claimed():
    assert claimable_statuses() == (PENDING,)


def test_a_dead_event_is_sent_again_with_the_same_webhook_id_and_a_new_window(session, clock):
    event = _event(session, clock, status=DEAD, attempts=29, last_error="HTTP 500")
    message_id = event.message_id
    clock.advance(days=2)
    assert resend(session, event, now=clock.now()) is True
    session.commit()
    assert event.status == PENDING
    assert event.attempts == 0
    assert event.message_id == message_id
    assert aware(event.retry_window_start) == clock.now()


def test_only_a_dead_event_is_sent_again(session, clock):
    event = _event(session, clock, status=DELIVERED)
    with pytest.raises(IllegalTransition):
        resend(session, event, now=clock.now())


def test_counts_by_status_lists_every_status(session, clock):
    _event(session, clock)
    _event(session, clock, status=DEAD)
    counts = counts_by_status(session)
    assert list(counts) == list(EVENT_STATUSES)
    assert counts == {PENDING: 1, IN_FLIGHT: 0, DELIVERED: 0, DEAD: 1}
