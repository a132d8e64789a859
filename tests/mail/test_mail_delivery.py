"""Mail through the outbox: sent by the worker over real SMTP, only after the commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notifications.mail import MAIL_EVENT_TYPE
from notifications.mail_catcher import MailCatcher, create_catcher_app
from notifications.models import DELIVERED, PENDING, OutboxEvent
from register.mailing import queue_mail
from tests.mailcatcher import deliver_mail


@pytest.fixture
def app_config(mail_config):
    return mail_config


def _queue(session, clock, to="someone@example.nl", language="nl"):
    return queue_mail(
        session,
        to=to,
        template="invitation",
        language=language,
        now=clock.now(),
        role="dealer",
        expires="2026-11-30 10:00",
        link="http://127.0.0.1:5000/invitation/abc",
    )


def _events(session):
    session.rollback()
    events = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    session.expunge_all()
    session.rollback()
    return events


def test_a_committed_mail_arrives_in_dutch_with_text_and_html(app, session, clock, mail_catcher):
    _queue(session, clock)
    session.commit()

    assert deliver_mail(app) == 1

    [mail] = mail_catcher.mails
    assert mail.recipients == ("someone@example.nl",)
    assert mail.sender == "dor@example.nl"
    assert mail.subject == "Uw account bij het Digitaal Opkopers Register"
    assert mail.language == "nl"
    assert "http://127.0.0.1:5000/invitation/abc" in mail.text
    assert '<a href="http://127.0.0.1:5000/invitation/abc">' in mail.html
    [event] = _events(session)
    assert event.type == MAIL_EVENT_TYPE
    assert event.status == DELIVERED
    assert mail.message_id == f"<{event.message_id}@example.nl>"


def test_a_mail_is_written_in_the_recipients_language(app, session, clock, mail_catcher):
    _queue(session, clock, language="en")
    session.commit()
    deliver_mail(app)
    [mail] = mail_catcher.mails
    assert mail.subject == "Your account at the Digital Dealer Register"
    assert mail.language == "en"


def test_a_rolled_back_transaction_sends_no_mail(app, session, clock, mail_catcher):
    _queue(session, clock)
    session.rollback()

    assert deliver_mail(app) == 0
    assert mail_catcher.mails == []
    assert _events(session) == []


def test_a_mail_whose_smtp_server_is_down_for_a_while_arrives_when_it_is_back(
    app, session, clock, smtp_port
):
    _queue(session, clock)
    session.commit()

    assert deliver_mail(app) == 1  # nobody listens on the port: refused
    [event] = _events(session)
    assert event.status == PENDING
    assert event.attempts == 1
    assert "SMTP error" in event.last_error

    clock.advance(minutes=5)
    catcher = MailCatcher("127.0.0.1", smtp_port).start()
    try:
        assert deliver_mail(app) == 1
        [mail] = catcher.mails
    finally:
        catcher.stop()
    [event] = _events(session)
    assert event.status == DELIVERED
    assert event.attempts == 2
    assert mail.message_id.startswith(f"<{event.message_id}@")


def test_the_mail_catcher_page_shows_what_arrived(app, session, clock, mail_catcher):
    _queue(session, clock)
    session.commit()
    deliver_mail(app)

    page = create_catcher_app(mail_catcher).test_client()
    html = page.get("/").get_data(as_text=True)
    assert "Uw account bij het Digitaal Opkopers Register" in html
    assert "someone@example.nl" in html
    [listed] = page.get("/mails.json").get_json()
    assert listed["to"] == ["someone@example.nl"]
    shown = page.get("/mail/1.html")
    assert "sandbox" in shown.headers["Content-Security-Policy"]
