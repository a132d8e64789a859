"""The worker as a real process: killed mid-delivery, stopped by SIGTERM, two at once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from notifications.models import DELIVERED, IN_FLIGHT, DeliveryAttempt, OutboxEvent
from notifications.worker import claim_due
from tests.conftest import TEST_DATABASE_URL

from .helpers import WorkerProcess, add_events, start_receiver, wait_until, worker_env

pytestmark = pytest.mark.slow
postgresql_only = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="several workers share the queue only on PostgreSQL"
)


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def processes():
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        process.ensure_stopped()


def _statuses(session) -> Counter:
    session.rollback()
    counts = Counter(session.scalars(select(OutboxEvent.status)).all())
    session.rollback()
    return counts


def test_a_worker_killed_during_delivery_loses_no_event(
    database_uri, session, clock, receiver, processes
):
    receiver.mode = "slow"  # every answer takes 0.2 s: the kill lands mid-delivery
    receiver.delay = 0.2
    events = add_events(session, clock, 30, now=datetime.now(UTC))
    env = worker_env(database_uri, receiver.url, IN_FLIGHT_TIMEOUT_SECONDS=2, WORKER_BATCH_SIZE=10)

    first = WorkerProcess(env)
    processes.append(first)
    wait_until(lambda: len(receiver.received) >= 5, message="first deliveries")
    first.kill()
    # The killed worker left its claimed batch in flight, one of them half delivered.
    assert _statuses(session)[IN_FLIGHT] > 0

    second = WorkerProcess(env)
    processes.append(second)
    wait_until(lambda: _statuses(session)[DELIVERED] == 30, message="all delivered")
    assert second.terminate() == 0

    # Every event arrived (some perhaps twice: at least once), and with a 2xx answer.
    arrived = set(receiver.ids())
    assert arrived == {event.message_id for event in events}
    receiver.verify_all()
    assert any("swept event" in line for line in second.lines)


def test_a_new_worker_takes_back_a_killed_worker_s_claim_within_30_seconds(
    database_uri, session, clock, receiver, processes
):
    """With the default heartbeat (5 s, dead after 3 missed beats) and the default 15-minute
    in-flight timeout: the heartbeat alone brings the event back."""
    receiver.mode = "timeout"  # the first attempt is never answered...
    receiver.delay = 45
    [event] = add_events(session, clock, 1, now=datetime.now(UTC))
    env = worker_env(database_uri, receiver.url, DELIVERY_READ_TIMEOUT=60)
    env.pop("REGISTER_WORKER_SWEEP_SECONDS")
    first = WorkerProcess(env)
    processes.append(first)
    wait_until(lambda: receiver.ids(), message="the first attempt")
    first.kill()  # ...its worker dies waiting for it
    killed_at = time.monotonic()
    receiver.mode = "ok"
    assert _statuses(session)[IN_FLIGHT] == 1

    second = WorkerProcess(env)
    processes.append(second)
    wait_until(lambda: _statuses(session)[DELIVERED] == 1, timeout=30, message="redelivered")
    assert time.monotonic() - killed_at < 30
    assert second.terminate() == 0

    # The same webhook-id both times, answered once, by the second worker.
    assert receiver.ids() == [event.message_id, event.message_id]
    assert receiver.ids(answered="ok") == [event.message_id]
    session.rollback()
    attempts = session.execute(
        select(DeliveryAttempt.outcome, DeliveryAttempt.worker_id).order_by(DeliveryAttempt.id)
    ).all()
    session.rollback()
    assert [outcome for outcome, _ in attempts] == ["lost", "delivered"]
    assert len({worker for _, worker in attempts}) == 1  # both recorded by the second worker
    assert any("reclaimed event" in line for line in second.lines)


def test_sigterm_finishes_the_current_delivery_and_stops(
    database_uri, session, clock, receiver, processes
):
    receiver.mode = "slow"
    receiver.delay = 0.5
    add_events(session, clock, 20, now=datetime.now(UTC))
    worker = WorkerProcess(worker_env(database_uri, receiver.url, WORKER_BATCH_SIZE=10))
    processes.append(worker)
    wait_until(lambda: len(receiver.received) >= 2, message="deliveries under way")

    assert worker.terminate() == 0, "\n".join(worker.lines)
    counts = _statuses(session)
    assert counts[IN_FLIGHT] == 0  # what it did not attempt it handed back
    assert counts[DELIVERED] == len(receiver.received)  # what it sent it recorded
    assert counts["pending"] == 20 - counts[DELIVERED]
    assert any("stopped" in line for line in worker.lines)


def test_worker_once_delivers_what_is_due_and_exits(
    database_uri, session, clock, receiver, processes
):
    add_events(session, clock, 3, now=datetime.now(UTC))
    worker = WorkerProcess(worker_env(database_uri, receiver.url), "--once")
    processes.append(worker)
    assert worker.process.wait(timeout=60) == 0
    assert _statuses(session)[DELIVERED] == 3


# Several workers share the queue only on PostgreSQL (SQLite has a single writer).


@postgresql_only
def test_two_claims_at_once_on_postgresql_take_disjoint_events(app, session, clock):
    add_events(session, clock, 12)
    engine = create_engine(TEST_DATABASE_URL)
    try:
        with Session(engine) as first, Session(engine) as second:
            # Both transactions are open at once: the first holds its rows locked.
            a = claim_due(first, now=clock.now(), token="a#1", limit=5)
            b = claim_due(second, now=clock.now(), token="b#1", limit=5)
            first.commit()
            second.commit()
            with Session(engine) as third:
                c = claim_due(third, now=clock.now(), token="c#1", limit=100)
                third.commit()
    finally:
        engine.dispose()
    ids = [claim.id for claim in a + b + c]
    assert len(a) == 5 and len(b) == 5 and len(c) == 2
    assert len(ids) == len(set(ids)) == 12


@postgresql_only
def test_two_worker_processes_on_postgresql_never_claim_the_same_event(
    database_uri, session, clock, receiver, processes
):
    receiver.mode = "slow"
    receiver.delay = 0.01
    env = worker_env(database_uri, receiver.url, WORKER_BATCH_SIZE=5)
    workers = [WorkerProcess(env), WorkerProcess(env)]
    processes.extend(workers)
    for worker in workers:
        worker.wait_for_log("started")
    events = add_events(session, clock, 300, now=datetime.now(UTC))

    wait_until(lambda: _statuses(session)[DELIVERED] == 300, message="all delivered")
    for worker in workers:
        assert worker.terminate() == 0

    session.rollback()
    attempts = session.execute(select(DeliveryAttempt.event_id, DeliveryAttempt.worker_id)).all()
    session.rollback()
    # Each event was claimed, attempted and delivered exactly once, by one of the two.
    per_event = Counter(event_id for event_id, _ in attempts)
    assert set(per_event) == {event.id for event in events}
    assert set(per_event.values()) == {1}
    by_worker = Counter(worker_id for _, worker_id in attempts)
    assert len(by_worker) == 2, by_worker  # both took part
    assert sorted(receiver.ids()) == sorted(event.message_id for event in events)
