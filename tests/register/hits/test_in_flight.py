"""A registration and a theft report of the same good, at the same moment, still meet.

Each side matches against what the other has committed. Were both transactions open at
once, each would miss the other's uncommitted row and the hit would be lost: registrations
and the matching of new reports take turns (PostgreSQL: an advisory lock, shared by
registrations, exclusive for reports; SQLite: one writer at a time).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from register.dealers.models import Dealer
from register.extensions import db
from register.hits.models import Hit
from register.purchases.service import record_registrations, validate_registration
from tests.register.purchases.helpers import IMEI_1, purchase

pytestmark = pytest.mark.slow

THEFT = {
    "report_number": "PL1300-2026009001",
    "reported_at": "2026-11-27T08:00:00+01:00",
    "category": "phone",
    "brand": "Apple",
    "imei": IMEI_1,
}


def in_thread(function) -> threading.Thread:
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    return thread


class HeldOpen:
    """``work`` done in a POST's transaction on a thread of its own (on SQLite it begins
    IMMEDIATE, as the API's does), kept open until ``close``."""

    def __init__(self, app, path, work):
        self.done, self.release, self.failures = threading.Event(), threading.Event(), []

        def run():
            with app.test_request_context(path, method="POST"):
                try:
                    work()
                    self.done.set()
                    self.release.wait(30)
                    db.session.commit()
                except Exception as exc:  # reported by close
                    self.failures.append(exc)
                    self.done.set()

        self.thread = in_thread(run)
        assert self.done.wait(30)

    def close(self):
        self.release.set()
        self.thread.join(30)
        assert not self.failures, self.failures


def while_open(held: HeldOpen, request) -> list:
    """Send ``request`` from another thread while ``held`` is open; the answer, once both
    have finished."""
    answers = []
    other = in_thread(lambda: answers.append(request()))
    other.join(1.0)  # it runs into the open transaction and must wait for it
    held.close()
    other.join(30)
    return answers


def test_a_theft_reported_while_a_registration_is_open_makes_its_hit(app, make, clock):
    dealer_id = make.user("dealer").dealer_id  # read here: the threads use their own sessions
    police_token = make.token(make.user("police"))
    db.session.commit()

    def register():
        dealer = db.session.get(Dealer, dealer_id)
        data = validate_registration(purchase(), dealer, now=clock.now())
        record_registrations(db.session, dealer, [data], now=clock.now())

    registration = HeldOpen(app, "/api/v1/purchases", register)
    (answer,) = while_open(
        registration,
        lambda: app.test_client().post(
            "/api/v1/stolen", json=THEFT, headers={"Authorization": f"Bearer {police_token}"}
        ),
    )
    assert answer.status_code == 201, answer.json
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hit.id))) == 1


def test_a_registration_while_a_theft_report_is_open_makes_its_hit(app, make, clock, api):
    from stolen_db.service import report_theft

    headers = api.headers(make.user("dealer"))
    db.session.commit()
    matcher = app.extensions["stolen_db"]["find_registered_matches"]

    def report():
        theft = {**THEFT, "reported_at": clock.now()}
        report_theft(db.session, theft, now=clock.now(), find_registered_matches=matcher)

    reporting = HeldOpen(app, "/api/v1/stolen", report)
    (answer,) = while_open(
        reporting,
        lambda: app.test_client().post("/api/v1/purchases", json=purchase(), headers=headers),
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["items"][0]["status"] == "police_hold"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hit.id))) == 1
