"""Delivery to a real local HTTP receiver: failures, retries, signatures, the webhook-id."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from notifications.delivery import RetryPolicy, encode_body
from notifications.models import (
    DEAD,
    DELIVERED,
    IN_FLIGHT,
    PENDING,
    DeliveryAttempt,
    OutboxEvent,
)
from tests.conftest import WEBHOOK_SECRET

from .helpers import add_events, make_worker, start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.stop()


def _events(session):
    session.rollback()  # end any read transaction: see what the worker committed
    events = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    session.expunge_all()  # detached: reading them later starts no transaction
    session.rollback()
    return events


def _attempts(session, event_id):
    rows = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.event_id == event_id)
        .order_by(DeliveryAttempt.id)
    ).all()
    session.expunge_all()
    session.rollback()
    return rows


def test_a_delivered_event_is_signed_so_that_standardwebhooks_verifies_it(
    app, session, clock, receiver
):
    [event] = add_events(session, clock, 1)
    worker = make_worker(app, receiver.url)

    assert worker.run_once() == 1

    [request] = receiver.received
    payload = Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
    assert payload == event.payload
    assert request.headers["Webhook-Id"] == event.message_id
    assert request.headers["Content-Type"] == "application/json"
    [stored] = _events(session)
    assert stored.status == DELIVERED
    assert stored.attempts == 1
    assert stored.delivered_at is not None


def test_a_wrong_secret_does_not_verify(app, session, clock, receiver):
    add_events(session, clock, 1)
    make_worker(app, receiver.url).run_once()
    [request] = receiver.received
    other = Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3OA==")
    with pytest.raises(Exception, match="No matching signature"):
        other.verify(request.body, request.headers)


def test_every_event_arrives_through_refusals_500s_and_timeouts_with_one_webhook_id_each(
    app, session, clock, receiver
):
    events = add_events(session, clock, 5)
    ids = {event.id: event.message_id for event in events}
    worker = make_worker(app, receiver.url, read_timeout=0.3)

    # 1. Nothing listens: every connection is refused.
    receiver.stop()
    assert worker.run_once() == 5
    assert {e.status for e in _events(session)} == {PENDING}
    assert worker.run_once() == 0  # not due again before the backoff delay

    # 2. The endpoint is back but answers 500.
    receiver.start()
    receiver.mode = "500"
    clock.advance(hours=1)
    assert worker.run_once() == 5

    # 3. The endpoint hangs longer than the read timeout.
    receiver.mode = "timeout"
    receiver.delay = 1.0
    clock.advance(hours=1)
    assert worker.run_once() == 5

    # 4. It recovers.
    receiver.mode = "ok"
    clock.advance(hours=1)
    assert worker.run_once() == 5

    stored = _events(session)
    assert [e.status for e in stored] == [DELIVERED] * 5
    assert [e.attempts for e in stored] == [4] * 5
    # Every event arrived; every attempt of one event carried that event's webhook-id.
    assert set(receiver.ids("ok")) == set(ids.values())
    assert len(receiver.ids("ok")) == 5
    for message_id in ids.values():
        answers = [r.answered for r in receiver.received if r.webhook_id == message_id]
        assert answers == ["500", "timeout", "ok"]
        bodies = {r.body for r in receiver.received if r.webhook_id == message_id}
        assert len(bodies) == 1  # the same bytes every time
    receiver.verify_all()
    for event_id in ids:
        attempts = _attempts(session, event_id)
        assert [a.outcome for a in attempts] == ["failed", "failed", "failed", "delivered"]
        assert "connection" in attempts[0].error.lower()
        assert attempts[1].status_code == 500 and attempts[1].error.startswith("HTTP 500")
        assert "timeout" in attempts[2].error.lower()
        assert attempts[3].status_code == 204


def test_a_redirect_is_not_a_delivery(app, session, clock, receiver):
    receiver.server.clear_all_handlers()
    receiver.server.expect_request("/webhook").respond_with_data(
        "", status=302, headers={"Location": "/elsewhere"}
    )
    add_events(session, clock, 1)
    make_worker(app, receiver.url).run_once()
    [event] = _events(session)
    assert event.status == PENDING
    assert event.last_error == "HTTP 302"


def test_retries_back_off_exponentially_and_give_up_only_after_24_hours(
    app, session, clock, receiver
):
    receiver.stop()  # refuses every connection
    [event] = add_events(session, clock, 1)
    created = clock.now()
    worker = make_worker(app, receiver.url, policy=RetryPolicy(base_seconds=30.0))

    delays = []
    while True:
        assert worker.run_once() == 1
        [stored] = _events(session)
        if stored.status == DEAD:
            break
        assert stored.status == PENDING
        due = stored.next_attempt_at.replace(tzinfo=clock.now().tzinfo)
        delays.append((due - clock.now()).total_seconds())
        assert worker.run_once() == 0  # nothing is retried before it is due
        clock.set(due)
        assert len(delays) < 200

    assert clock.now() - created >= timedelta(hours=24)
    # The first retry waits the configured base, then each wait doubles up to an hour; up
    # to 20% jitter on top spreads the retries of many events.
    for n, delay in enumerate(delays):
        nominal = min(3600, 30 * 2**n)
        assert nominal <= delay <= nominal * 1.2
    assert stored.attempts == len(delays) + 1
    assert "connection" in stored.last_error.lower()
    assert len(_attempts(session, event.id)) == stored.attempts


def test_the_first_retry_waits_the_configured_base(app, session, clock, receiver):
    receiver.mode = "500"
    add_events(session, clock, 1)
    worker = make_worker(app, receiver.url, policy=RetryPolicy(base_seconds=5.0, jitter=0.0))
    worker.run_once()
    [stored] = _events(session)
    due = stored.next_attempt_at.replace(tzinfo=clock.now().tzinfo)
    assert due - clock.now() == timedelta(seconds=5)


def test_the_sweeper_returns_events_stuck_in_flight_and_they_are_delivered(
    app, session, clock, receiver
):
    from notifications.worker import claim_due

    events = add_events(session, clock, 3)
    # A worker claimed them and died before recording anything.
    claims = claim_due(session, now=clock.now(), token="dead-worker#1", limit=10)
    session.commit()
    assert len(claims) == 3
    assert {e.status for e in _events(session)} == {IN_FLIGHT}

    worker = make_worker(app, receiver.url, in_flight_timeout=timedelta(minutes=5))
    clock.advance(minutes=4)
    assert worker.sweep() == 0  # not stuck yet: its worker may still be delivering
    clock.advance(minutes=2)
    assert worker.sweep() == 3
    stored = _events(session)
    assert {e.status for e in stored} == {PENDING}
    assert all("dead-worker#1" in e.last_error for e in stored)

    clock.advance(hours=1)
    worker.run_once()
    assert {e.status for e in _events(session)} == {DELIVERED}
    assert sorted(receiver.ids()) == sorted(e.message_id for e in events)
    outcomes = [a.outcome for a in _attempts(session, events[0].id)]
    assert outcomes == ["lost", "delivered"]


def test_a_late_outcome_from_a_swept_worker_does_not_undo_a_delivery(app, session, clock, receiver):
    from notifications.delivery import DeliveryResult
    from notifications.worker import claim_due, record_outcome

    add_events(session, clock, 1)
    [slow_claim] = claim_due(session, now=clock.now(), token="slow#1", limit=1)
    session.commit()
    worker = make_worker(app, receiver.url, in_flight_timeout=timedelta(minutes=5))
    clock.advance(minutes=10)
    assert worker.sweep() == 1
    clock.advance(hours=1)  # a swept event is retried after the backoff delay
    worker.run_once()
    assert _events(session)[0].status == DELIVERED

    # The slow worker finally gives up on its old claim: ignored, only logged as an attempt.
    record_outcome(
        session,
        slow_claim,
        DeliveryResult(False, None, "timeout", 10_000.0),
        started_at=clock.now(),
        now=clock.now(),
        worker_id="slow",
        policy=RetryPolicy(),
    )
    session.commit()
    [event] = _events(session)
    assert event.status == DELIVERED
    assert [a.outcome for a in _attempts(session, event.id)] == ["lost", "delivered", "failed"]


def test_stopping_finishes_the_current_delivery_and_hands_back_the_rest(
    app, session, clock, receiver
):
    events = add_events(session, clock, 4)
    worker = make_worker(app, receiver.url)
    original_send = worker.sender.send

    def send_then_stop(message_id, payload):
        result = original_send(message_id, payload)
        worker.stop()  # SIGTERM arrives during the first delivery
        return result

    worker.sender.send = send_then_stop
    assert worker.run_once() == 1
    stored = _events(session)
    assert [e.status for e in stored] == [DELIVERED, PENDING, PENDING, PENDING]
    assert [e.attempts for e in stored] == [1, 0, 0, 0]
    assert all(e.claimed_by is None for e in stored)
    assert receiver.ids() == [events[0].message_id]


def test_the_body_is_the_stored_payload_as_compact_json(app, session, clock, receiver):
    [event] = add_events(session, clock, 1)
    make_worker(app, receiver.url).run_once()
    [request] = receiver.received
    assert request.body == encode_body(event.payload)
    assert json.loads(request.body) == event.payload
