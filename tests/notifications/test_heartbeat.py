"""Workers' heartbeats: a worker that stopped beating loses its claims to the others at their
next beat, as a lost attempt due again at once with the same webhook-id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from notifications.models import (
    DELIVERED,
    IN_FLIGHT,
    PENDING,
    DeliveryAttempt,
    NotificationWorker,
    OutboxEvent,
)
from notifications.worker import claim_due

from .helpers import add_events, make_worker, start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.stop()


def _rows(session, model, order_by):
    session.rollback()  # see what the workers committed
    rows = session.scalars(select(model).order_by(order_by)).all()
    session.expunge_all()
    session.rollback()
    return rows


def _events(session):
    return _rows(session, OutboxEvent, OutboxEvent.id)


def _workers(session) -> list[str]:
    return [row.id for row in _rows(session, NotificationWorker, NotificationWorker.id)]


def test_a_worker_registers_with_its_first_claim_and_leaves_when_it_retires(
    app, session, clock, receiver
):
    add_events(session, clock, 2)
    worker = make_worker(app, receiver.url, worker_id="host:1:aaaaaa")
    assert worker.run_once() == 2
    assert _workers(session) == ["host:1:aaaaaa"]
    worker.retire()
    assert _workers(session) == []


def test_a_dead_worker_s_claims_go_to_a_survivor_at_its_next_beat(app, session, clock, receiver):
    events = add_events(session, clock, 3)
    dead = make_worker(app, receiver.url, worker_id="host:1:dead00", heartbeat_seconds=5.0)
    dead.heartbeat()
    claims = dead._claim()  # claimed, then the process died before sending anything
    assert len(claims) == 3 and {e.status for e in _events(session)} == {IN_FLIGHT}

    survivor = make_worker(app, receiver.url, worker_id="host:2:live00", heartbeat_seconds=5.0)
    clock.advance(seconds=14)
    assert survivor.heartbeat() == 0  # silent for less than three beats: perhaps just slow
    clock.advance(seconds=2)
    assert survivor.heartbeat() == 3
    stored = _events(session)
    assert {e.status for e in stored} == {PENDING}
    assert all(e.next_attempt_at.replace(tzinfo=clock.now().tzinfo) == clock.now() for e in stored)
    assert all("host:1:dead00 stopped beating" in e.last_error for e in stored)
    assert _workers(session) == ["host:2:live00"]  # the dead worker's row is gone

    assert survivor.run_once() == 3  # due at once, no backoff
    assert {e.status for e in _events(session)} == {DELIVERED}
    assert sorted(receiver.ids()) == sorted(e.message_id for e in events)
    attempts = _rows(session, DeliveryAttempt, DeliveryAttempt.id)
    assert [(a.outcome, a.worker_id) for a in attempts if a.event_id == events[0].id] == [
        ("lost", "host:2:live00"),
        ("delivered", "host:2:live00"),
    ]


def test_a_worker_that_keeps_beating_keeps_its_claims(app, session, clock, receiver):
    add_events(session, clock, 2)
    busy = make_worker(app, receiver.url, worker_id="host:1:busy00")
    busy._claim()
    other = make_worker(app, receiver.url, worker_id="host:2:other0")
    for _ in range(10):
        clock.advance(seconds=5)
        busy.heartbeat()  # its delivery is slow, but it lives
        assert other.heartbeat() == 0
    assert {e.status for e in _events(session)} == {IN_FLIGHT}


def test_claims_of_a_worker_without_a_row_are_taken_back_at_once(app, session, clock, receiver):
    add_events(session, clock, 2)
    claim_due(session, now=clock.now(), token="gone:9:abcdef#1", limit=10)
    session.commit()
    worker = make_worker(app, receiver.url, worker_id="host:2:live00")
    assert worker.heartbeat() == 2
    assert {e.status for e in _events(session)} == {PENDING}


def test_two_survivors_hand_a_dead_worker_s_claim_back_once(app, session, clock, receiver):
    [event] = add_events(session, clock, 1)
    dead = make_worker(app, receiver.url, worker_id="host:1:dead00")
    dead._claim()
    clock.advance(seconds=30)
    first = make_worker(app, receiver.url, worker_id="host:2:first0")
    second = make_worker(app, receiver.url, worker_id="host:3:secnd0")
    assert first.heartbeat() + second.heartbeat() == 1
    attempts = _rows(session, DeliveryAttempt, DeliveryAttempt.id)
    assert [(a.event_id, a.outcome) for a in attempts] == [(event.id, "lost")]
    assert _events(session)[0].attempts == 1


def test_the_heartbeat_settings_come_from_the_configuration(app):
    from notifications.worker import WorkerSettings

    settings = WorkerSettings.from_config(
        {**app.config, "WORKER_HEARTBEAT_SECONDS": 2, "WORKER_DEAD_AFTER_BEATS": 4}
    )
    assert settings.dead_after == timedelta(seconds=8)
    assert WorkerSettings.from_config(app.config).dead_after == timedelta(seconds=15)
