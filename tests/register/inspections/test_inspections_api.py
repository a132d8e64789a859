"""The DOC over the API: the queue by risk score, logging inspections, the goods check, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from register.inspections.models import Inspection, InspectionTask
from register.inspections.risk import DealerRisk, routine_interval_days
from register.inspections.service import open_task

from .helpers import make_hit, make_purchase
from .test_sources import CLEAN


@pytest.fixture
def boa(make):
    return make.user("enforcement", municipality=make.municipality())


def inspection_body(dealer_id, **extra):
    return {
        "dealer_id": dealer_id,
        "inspected_at": "2026-11-27T09:30:00+01:00",
        "checks": dict(CLEAN),
        "findings": "Register in order.",
        "outcome": "compliant",
        **extra,
    }


# --- the risk score ------------------------------------------------------------------------


def test_the_risk_score_adds_capped_points_per_violation():
    risk = DealerRisk(1, {"hits": 7, "late_registrations": 2, "warnings": 1})
    assert risk.score == 20 * 5 + 5 * 2 + 20 * 1


def test_the_routine_interval_shrinks_as_the_risk_rises():
    intervals = [routine_interval_days(r, base=365, minimum=30) for r in (0, 50, 150, 1000)]
    assert intervals == [365, 182, 91, 30]


def test_the_queue_puts_the_highest_score_first_and_says_why(api, make, session, clock, boa):
    calm, offender = make.dealer(name="Calm"), make.dealer(name="Offender")
    routine = open_task(session, dealer=calm, reason="routine", now=clock.now())
    late_calm = open_task(session, dealer=calm, reason="late_registration", now=clock.now())
    late_offender = open_task(session, dealer=offender, reason="late_registration", now=clock.now())
    session.commit()
    purchase = make_purchase(
        session, offender, recorded_at=clock.now(), items=[{"imei": "490154203237518"}]
    )
    make_hit(session, purchase, now=clock.now())  # a hit task, and risk for the offender
    response = api.get("/api/v1/inspections/tasks", as_=boa)
    assert response.status_code == 200
    items = response.json["items"]
    assert [(i["reason"], i["dealer"]["name"]) for i in items] == [
        ("hit", "Offender"),
        ("late_registration", "Offender"),
        ("late_registration", "Calm"),
        ("routine", "Calm"),
    ]
    assert items[0]["score"] == 100 + 20  # hit weight + one hit of risk
    assert [i["id"] for i in items[1:]] == [late_offender.id, late_calm.id, routine.id]


def test_a_task_that_waits_rises_in_the_queue(api, make, session, clock, boa):
    old = open_task(session, dealer=make.dealer(), reason="routine", now=clock.now())
    clock.advance(days=12)
    new = open_task(session, dealer=make.dealer(), reason="routine", now=clock.now())
    session.commit()
    items = api.get("/api/v1/inspections/tasks", as_=boa).json["items"]
    assert [(i["id"], i["score"]) for i in items] == [(old.id, 22), (new.id, 10)]


def test_an_officer_sees_only_tasks_of_dealers_in_scope(api, make, session, clock, boa):
    utrecht = make.municipality("GM0344", "Utrecht")
    open_task(session, dealer=make.dealer(), reason="routine", now=clock.now())
    open_task(session, dealer=make.dealer(municipality=utrecht), reason="routine", now=clock.now())
    session.commit()
    assert api.get("/api/v1/inspections/tasks", as_=boa).json["total"] == 1
    national = make.user("enforcement", national=True)
    assert api.get("/api/v1/inspections/tasks", as_=national).json["total"] == 2


# --- logging inspections -------------------------------------------------------------------


def test_logging_an_inspection_closes_its_task(api, make, session, clock, boa):
    dealer = make.dealer()
    task = open_task(session, dealer=dealer, reason="routine", now=clock.now())
    session.commit()
    response = api.post("/api/v1/inspections", inspection_body(dealer.id, task_id=task.id), as_=boa)
    assert response.status_code == 201, response.json
    assert response.json["checks"] == CLEAN and response.json["outcome"] == "compliant"
    session.expire_all()
    assert session.get(InspectionTask, task.id).status == "done"
    assert api.get("/api/v1/inspections/tasks", as_=boa).json["total"] == 0
    again = api.post("/api/v1/inspections", inspection_body(dealer.id, task_id=task.id), as_=boa)
    assert again.status_code == 409


def test_a_warning_schedules_a_follow_up_in_the_queue(api, make, boa):
    dealer = make.dealer()
    body = inspection_body(
        dealer.id, outcome="warning", checks={**CLEAN, "entries_complete": False}
    )
    response = api.post("/api/v1/inspections", body, as_=boa)
    follow_ups = api.get("/api/v1/inspections/tasks?reason=follow_up", as_=boa).json["items"]
    assert [t["id"] for t in follow_ups] == [response.json["follow_up_task_id"]]
    assert follow_ups[0]["due_date"] == "2026-12-25"


def test_an_official_report_is_flagged_for_the_municipality(api, make, boa):
    dealer = make.dealer()
    body = inspection_body(
        dealer.id, outcome="official_report", checks={**CLEAN, "register_kept": False}
    )
    created = api.post("/api/v1/inspections", body, as_=boa).json
    assert created["flagged_for_municipality"] is True
    gemeente = make.user("municipality")
    flagged = api.get("/api/v1/inspections?flagged=true", as_=gemeente).json
    assert [i["id"] for i in flagged["items"]] == [created["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"checks": {k: v for k, v in CLEAN.items() if k != "register_kept"}},
            "checks.register_kept",
        ),
        ({"outcome": "fine"}, "outcome"),
        ({"checks": {**CLEAN, "register_kept": False}}, "outcome"),
        ({"inspected_at": "2026-12-01T10:00:00+01:00"}, "inspected_at"),
    ],
)
def test_a_bad_inspection_is_refused_naming_the_field(api, make, session, boa, change, field):
    response = api.post(
        "/api/v1/inspections", {**inspection_body(make.dealer().id), **change}, as_=boa
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert session.scalar(select(Inspection)) is None


def test_a_task_of_another_dealer_cannot_be_closed(api, make, session, clock, boa):
    task = open_task(session, dealer=make.dealer(), reason="routine", now=clock.now())
    session.commit()
    body = inspection_body(make.dealer().id, task_id=task.id)
    response = api.post("/api/v1/inspections", body, as_=boa)
    assert response.status_code == 422 and "task_id" in response.json["errors"]


def test_dealers_inspections_and_tasks_outside_scope_answer_404(api, make, session, clock, boa):
    utrecht = make.municipality("GM0344", "Utrecht")
    outside = make.dealer(municipality=utrecht)
    task = open_task(session, dealer=outside, reason="routine", now=clock.now())
    session.commit()
    assert api.post("/api/v1/inspections", inspection_body(outside.id), as_=boa).status_code == 404
    mine = make.dealer()
    body = inspection_body(mine.id, task_id=task.id)
    assert api.post("/api/v1/inspections", body, as_=boa).status_code == 404
    check = {"dealer_id": outside.id, "identifiers": ["X1"]}
    assert api.post("/api/v1/inspections/goods-check", check, as_=boa).status_code == 404
    utrecht_boa = make.user("enforcement", municipality=utrecht)
    logged = api.post("/api/v1/inspections", inspection_body(outside.id), as_=utrecht_boa).json
    for user in (boa, make.user("municipality")):
        assert api.get(f"/api/v1/inspections/{logged['id']}", as_=user).status_code == 404
        assert api.get("/api/v1/inspections", as_=user).json["total"] == 0
    assert api.get(f"/api/v1/inspections/{logged['id']}", as_=utrecht_boa).status_code == 200


# --- the goods check -----------------------------------------------------------------------


def test_the_goods_check_finds_what_is_missing_or_on_offer_too_soon(api, make, session, clock, boa):
    dealer = make.dealer()
    today = clock.today()
    make_purchase(
        session,
        dealer,
        recorded_at=clock.now() - timedelta(days=2),
        items=[
            {"imei": "490154203237518", "hold_until": today + timedelta(days=3)},
            {
                "category": "bicycle",
                "frame_number": "WBK 123456",
                "status": "available",
                "hold_until": today - timedelta(days=1),
            },
            {"serial_number": "C02XK1ABJGH5", "status": "police_hold", "hold_until": today},
            {"serial_number": "SN-SOLD-1", "status": "sold", "hold_until": today},
        ],
    )
    identifiers = ["49-015420-323751-8", "wbk123456", "c02xk1abjgh5", "sn sold 1", "UNKNOWN99"]
    response = api.post(
        "/api/v1/inspections/goods-check",
        {"dealer_id": dealer.id, "identifiers": identifiers},
        as_=boa,
    )
    assert response.status_code == 200, response.json
    results = {r["identifier"]: r["result"] for r in response.json["results"]}
    assert results == {
        "49-015420-323751-8": "in_holding_period",
        "wbk123456": "registered",
        "c02xk1abjgh5": "police_hold",
        "sn sold 1": "registered_as_sold",
        "UNKNOWN99": "not_registered",
    }
    assert response.json["problems"] == 4


def test_goods_of_another_dealer_count_as_not_registered(api, make, session, clock, boa):
    make_purchase(
        session, make.dealer(), recorded_at=clock.now(), items=[{"serial_number": "ABC123"}]
    )
    body = {"dealer_id": make.dealer().id, "identifiers": ["ABC123"]}
    response = api.post("/api/v1/inspections/goods-check", body, as_=boa)
    assert response.json["results"][0]["result"] == "not_registered"


def test_the_goods_check_is_kept_with_the_inspection(api, make, boa):
    dealer = make.dealer()
    body = inspection_body(
        dealer.id,
        identifiers=["NOPE1"],
        outcome="warning",
        checks={**CLEAN, "stock_matches_register": False},
    )
    created = api.post("/api/v1/inspections", body, as_=boa).json
    assert created["goods_check"][0]["result"] == "not_registered"
