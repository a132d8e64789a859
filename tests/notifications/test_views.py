"""The notification pages for administrators and police."""

from __future__ import annotations

import re

import pytest

from notifications.models import DEAD, DELIVERED, PENDING, DeliveryAttempt, OutboxEvent
from notifications.outbox import enqueue
from tests.factories import PASSWORD


def _log_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (302, 303)


def _dead_event(session, clock) -> int:
    event = enqueue(
        session, "hit.created", {"type": "hit.created"}, now=clock.now(), dedupe_key="hit:41"
    )
    event.status = DEAD
    event.attempts = 2
    event.last_error = "HTTP 503: police endpoint in maintenance"
    for code, error in ((None, "connection error: refused"), (503, "HTTP 503: maintenance")):
        session.add(
            DeliveryAttempt(
                event_id=event.id,
                worker_id="host:1:abc",
                started_at=clock.now(),
                duration_ms=12.5,
                status_code=code,
                outcome="failed",
                error=error,
            )
        )
    session.commit()
    return event.id


def _status_counts(html: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'data-count="(\w+)">(\d+)<', html)}


@pytest.mark.parametrize("role", ["admin", "police"])
def test_admins_and_police_see_notifications_by_status(client, session, make, clock, role):
    _dead_event(session, clock)
    enqueue(session, "hit.created", {"type": "hit.created"}, now=clock.now())
    session.commit()
    _log_in(client, make.user(role))

    html = client.get("/notifications").get_data(as_text=True)
    assert _status_counts(html) == {PENDING: 1, "in_flight": 0, DELIVERED: 0, DEAD: 1}

    dead_only = client.get("/notifications?status=dead").get_data(as_text=True)
    assert "hit:41" in dead_only
    assert "police endpoint in maintenance" in dead_only


@pytest.mark.parametrize("role", ["dealer", "municipality", "enforcement"])
def test_other_roles_may_not_see_notifications(client, make, role):
    _log_in(client, make.user(role))
    assert client.get("/notifications").status_code == 403


def test_without_login_the_pages_ask_to_log_in(client):
    response = client.get("/notifications")
    assert response.status_code in (302, 401)


def test_a_dead_event_shows_its_errors_and_attempts(client, session, make, clock):
    event_id = _dead_event(session, clock)
    _log_in(client, make.user("admin"))
    html = client.get(f"/notifications/{event_id}").get_data(as_text=True)
    assert "police endpoint in maintenance" in html
    assert "connection error: refused" in html
    assert "503" in html
    assert f'action="/notifications/{event_id}/resend"' in html


def test_an_administrator_sends_a_dead_event_again(client, session, make, clock):
    event_id = _dead_event(session, clock)
    message_id = session.get(OutboxEvent, event_id).message_id
    session.rollback()
    _log_in(client, make.user("admin"))

    response = client.post(f"/notifications/{event_id}/resend")
    assert response.status_code in (302, 303)
    session.rollback()
    event = session.get(OutboxEvent, event_id)
    assert event.status == PENDING
    assert event.attempts == 0
    assert event.message_id == message_id
    # The history of the earlier round stays visible.
    html = client.get(f"/notifications/{event_id}").get_data(as_text=True)
    assert "connection error: refused" in html
    assert f'action="/notifications/{event_id}/resend"' not in html


def test_sending_again_an_event_that_is_not_dead_changes_nothing(client, session, make, clock):
    event = enqueue(session, "hit.created", {}, now=clock.now())
    event.status = DELIVERED
    session.commit()
    event_id = event.id
    _log_in(client, make.user("police"))
    response = client.post(f"/notifications/{event_id}/resend", follow_redirects=True)
    assert response.status_code == 200
    session.rollback()
    assert session.get(OutboxEvent, event_id).status == DELIVERED


def test_an_unknown_notification_is_404(client, make):
    _log_in(client, make.user("admin"))
    assert client.get("/notifications/999").status_code == 404
    assert client.post("/notifications/999/resend").status_code == 404


def test_the_pages_are_dutch_by_default(client, session, make, clock):
    _dead_event(session, clock)
    _log_in(client, make.user("admin"))
    html = client.get("/notifications").get_data(as_text=True)
    assert "Politiemeldingen" in html
    assert "Opnieuw versturen" in client.get("/notifications/1").get_data(as_text=True)


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_sending_again_needs_the_csrf_token(self, client, session, make, clock):
        event_id = _dead_event(session, clock)
        user = make.user("admin")
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert client.post(f"/notifications/{event_id}/resend").status_code == 400
        page = client.get(f"/notifications/{event_id}").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(f"/notifications/{event_id}/resend", data={"csrf_token": form_token})
        assert response.status_code in (302, 303)
        session.rollback()
        assert session.get(OutboxEvent, event_id).status == PENDING
