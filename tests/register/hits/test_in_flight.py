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
from register.purchases.service import record_registration, validate_registration
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


def test_a_theft_reported_while_a_registration_is_open_makes_its_hit(app, make, clock):
    dealer_id = make.user("dealer").dealer_id  # read here: the threads use their own sessions
    police_token = make.token(make.user("police"))
    db.session.commit()
    registered, release, failures = threading.Event(), threading.Event(), []

    def register_and_hold():
        # A POST's transaction: on SQLite it begins IMMEDIATE, as the API's does.
        with app.test_request_context("/api/v1/purchases", method="POST"):
            try:
                dealer = db.session.get(Dealer, dealer_id)
                data = validate_registration(purchase(), dealer, now=clock.now())
                record_registration(db.session, dealer, data, now=clock.now())
                registered.set()
                release.wait(30)
                db.session.commit()
            except Exception as exc:  # reported by the assertions below
                failures.append(exc)
                registered.set()

    registration = in_thread(register_and_hold)
    assert registered.wait(30)
    answers = []

    def report():
        response = app.test_client().post(
            "/api/v1/stolen", json=THEFT, headers={"Authorization": f"Bearer {police_token}"}
        )
        answers.append(response)

    reporting = in_thread(report)
    reporting.join(1.0)  # it runs into the open registration and must wait for it
    release.set()
    registration.join(30)
    reporting.join(30)
    assert not failures, failures
    assert answers[0].status_code == 201, answers[0].json
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hit.id))) == 1


def test_a_registration_while_a_theft_report_is_open_makes_its_hit(app, make, clock, api):
    from stolen_db.service import report_theft

    headers = api.headers(make.user("dealer"))
    db.session.commit()
    reported, release, failures = threading.Event(), threading.Event(), []
    matcher = app.extensions["stolen_db"]["find_registered_matches"]

    def report_and_hold():
        with app.test_request_context("/api/v1/stolen", method="POST"):
            try:
                theft = {**THEFT, "reported_at": clock.now()}
                report_theft(db.session, theft, now=clock.now(), find_registered_matches=matcher)
                reported.set()
                release.wait(30)
                db.session.commit()
            except Exception as exc:  # reported by the assertions below
                failures.append(exc)
                reported.set()

    reporting = in_thread(report_and_hold)
    assert reported.wait(30)
    answers = []

    def register():
        answers.append(app.test_client().post("/api/v1/purchases", json=purchase(),
                                              headers=headers))  # fmt: skip

    registration = in_thread(register)
    registration.join(1.0)  # it runs into the open report and must wait for it
    release.set()
    reporting.join(30)
    registration.join(30)
    assert not failures, failures
    assert answers[0].status_code == 201, answers[0].json
    assert answers[0].json["items"][0]["status"] == "police_hold"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hit.id))) == 1
