"""The DOL reporting duty over the API: deadlines, the review flow, the police, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from notifications.models import OutboxEvent
from register.dealers.meldplicht import DolReport
from register.dealers.models import Dealer
from register.inspections.models import InspectionTask
from tests.register.inspections.helpers import report_body

TODAY = date(2026, 11, 27)  # the clock fixture's Dutch date


@pytest.fixture
def pending(make):
    dealer = make.dealer(active=False)
    return make.user("dealer", dealer=dealer)


@pytest.fixture
def active(make):
    return make.user("dealer", dealer=make.dealer(active=True))


@pytest.fixture
def gemeente(make):
    return make.user("municipality", municipality=make.municipality())


# --- deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ahead", "deadline", "timely"),
    [(2, "2026-11-26", False), (3, "2026-11-27", True), (4, "2026-11-28", True)],
)
def test_a_start_is_timely_when_filed_at_least_3_days_before_the_first_trading_day(
    api, pending, days_ahead, deadline, timely
):
    effective = TODAY + timedelta(days=days_ahead)
    response = api.post("/api/v1/meldplicht", report_body("start", effective), as_=pending)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "submitted"
    assert response.json["deadline"] == deadline
    assert response.json["timely"] is timely


@pytest.mark.parametrize("report_type", ["change", "stop"])
@pytest.mark.parametrize(
    ("days_ago", "deadline", "timely"),
    [(2, "2026-11-28", True), (3, "2026-11-27", True), (4, "2026-11-26", False)],
)
def test_a_change_or_stop_is_timely_within_3_days_after_it(
    api, active, report_type, days_ago, deadline, timely
):
    effective = TODAY - timedelta(days=days_ago)
    response = api.post("/api/v1/meldplicht", report_body(report_type, effective), as_=active)
    assert response.status_code == 201, response.json
    assert (response.json["deadline"], response.json["timely"]) == (deadline, timely)


def test_a_change_reported_before_it_happens_is_timely(api, active):
    response = api.post(
        "/api/v1/meldplicht", report_body("change", TODAY + timedelta(days=10)), as_=active
    )
    assert response.json["timely"] is True


def test_the_deadline_counts_in_dutch_calendar_days(api, pending, clock):
    # 23:30 UTC on the 27th is already the 28th in Amsterdam: a start on 1 December (3 days
    # after the 28th) is still on time, one on 30 November is not.
    clock.set(datetime(2026, 11, 27, 23, 30, tzinfo=UTC))
    on_time = api.post("/api/v1/meldplicht", report_body("start", date(2026, 12, 1)), as_=pending)
    assert on_time.json["timely"] is True


def test_the_deadline_counts_in_dutch_calendar_days_late_side(api, pending, clock):
    clock.set(datetime(2026, 11, 27, 23, 30, tzinfo=UTC))
    late = api.post("/api/v1/meldplicht", report_body("start", date(2026, 11, 30)), as_=pending)
    assert late.json["timely"] is False


def test_a_late_report_opens_an_inspection_task(api, active, session):
    response = api.post(
        "/api/v1/meldplicht", report_body("change", TODAY - timedelta(days=10)), as_=active
    )
    task = session.scalar(select(InspectionTask).where(InspectionTask.reason == "late_report"))
    assert task is not None and task.dealer_id == active.dealer_id
    assert task.dedupe_key == f"meldplicht:{response.json['id']}:late"


def test_a_timely_report_opens_no_task(api, active, session):
    api.post("/api/v1/meldplicht", report_body("change", TODAY), as_=active)
    assert session.scalar(select(InspectionTask)) is None


# --- the review flow -----------------------------------------------------------------------


def test_an_accepted_start_connects_the_dealer_and_informs_the_police(
    api, pending, gemeente, session
):
    filed = api.post(
        "/api/v1/meldplicht", report_body("start", TODAY + timedelta(days=5)), as_=pending
    )
    listed = api.get("/api/v1/meldplicht?status=submitted", as_=gemeente).json
    assert [r["id"] for r in listed["items"]] == [filed.json["id"]]

    decided = api.post(
        f"/api/v1/meldplicht/{filed.json['id']}/decision", {"decision": "accepted"}, as_=gemeente
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "accepted"
    session.expire_all()
    dealer = session.get(Dealer, pending.dealer_id)
    assert dealer.status == "active" and dealer.activated_at is not None
    assert dealer.name == "Telefoonwinkel Centrum" and dealer.street == "Damrak"
    event = session.scalar(select(OutboxEvent).where(OutboxEvent.type == "dealer.reported"))
    assert event.dedupe_key == f"meldplicht:{filed.json['id']}"
    assert event.payload["data"]["report_type"] == "start"
    assert event.payload["data"]["dealer"]["kvk_number"] == "87654321"
    assert event.payload["data"]["municipality"] == "GM0363"


def test_a_rejection_needs_a_reason_and_leaves_the_dealer_pending(api, pending, gemeente, session):
    filed = api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).json
    no_reason = api.post(
        f"/api/v1/meldplicht/{filed['id']}/decision", {"decision": "rejected"}, as_=gemeente
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["errors"]
    rejected = api.post(
        f"/api/v1/meldplicht/{filed['id']}/decision",
        {"decision": "rejected", "reason": "KvK number belongs to another business"},
        as_=gemeente,
    )
    assert rejected.status_code == 200
    assert rejected.json["decision"]["reason"] == "KvK number belongs to another business"
    session.expire_all()
    assert session.get(Dealer, pending.dealer_id).status == "pending"
    # Only accepted reports go to the police (the dealer's mail is an outbox event too).
    police = select(OutboxEvent).where(OutboxEvent.type == "dealer.reported")
    assert session.scalar(police) is None


def test_a_decision_is_final(api, pending, gemeente):
    filed = api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).json
    path = f"/api/v1/meldplicht/{filed['id']}/decision"
    assert api.post(path, {"decision": "accepted"}, as_=gemeente).status_code == 200
    again = api.post(path, {"decision": "rejected", "reason": "oops"}, as_=gemeente)
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"


def test_after_a_rejection_the_dealer_files_a_new_start(api, pending, gemeente):
    first = api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).json
    assert (
        api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).status_code == 409
    )
    api.post(
        f"/api/v1/meldplicht/{first['id']}/decision",
        {"decision": "rejected", "reason": "incomplete"},
        as_=gemeente,
    )
    assert (
        api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).status_code == 201
    )


def test_an_accepted_change_updates_the_dealer(api, active, gemeente, session):
    filed = api.post(
        "/api/v1/meldplicht",
        report_body("change", TODAY, address={"street": "Nieuwendijk", "city": "Amsterdam"}),
        as_=active,
    ).json
    api.post(f"/api/v1/meldplicht/{filed['id']}/decision", {"decision": "accepted"}, as_=gemeente)
    session.expire_all()
    dealer = session.get(Dealer, active.dealer_id)
    assert dealer.street == "Nieuwendijk" and dealer.status == "active"


def test_an_accepted_stop_stops_the_dealer_who_can_still_read_its_reports(
    api, active, gemeente, session
):
    filed = api.post(
        "/api/v1/meldplicht", {"type": "stop", "effective_date": "2026-11-27"}, as_=active
    ).json
    assert filed["business"]["name"] == session.get(Dealer, active.dealer_id).name
    api.post(f"/api/v1/meldplicht/{filed['id']}/decision", {"decision": "accepted"}, as_=gemeente)
    session.expire_all()
    assert session.get(Dealer, active.dealer_id).status == "stopped"
    own = api.get("/api/v1/meldplicht", as_=active)
    assert own.status_code == 200 and own.json["total"] == 1


def test_a_report_to_another_municipality_is_reviewed_there_and_moves_the_dealer(
    api, active, make, session
):
    utrecht = make.municipality("GM0344", "Utrecht")
    utrecht_employee = make.user("municipality", municipality=utrecht)
    amsterdam_employee = make.user("municipality", municipality=make.municipality())
    body = report_body("change", TODAY, address={"street": "Oudegracht", "city": "Utrecht"})
    filed = api.post("/api/v1/meldplicht", {**body, "municipality": "GM0344"}, as_=active).json
    assert filed["municipality"] == "GM0344"
    # Amsterdam still sees its dealer's report but does not decide it.
    path = f"/api/v1/meldplicht/{filed['id']}/decision"
    assert api.post(path, {"decision": "accepted"}, as_=amsterdam_employee).status_code == 404
    assert api.post(path, {"decision": "accepted"}, as_=utrecht_employee).status_code == 200
    session.expire_all()
    assert session.get(Dealer, active.dealer_id).municipality_id == utrecht.id


# --- state and validation ------------------------------------------------------------------


def test_an_active_dealer_cannot_report_a_start(api, active):
    response = api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=active)
    assert response.status_code == 409


def test_a_pending_dealer_cannot_report_a_change(api, pending):
    response = api.post("/api/v1/meldplicht", report_body("change", TODAY), as_=pending)
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("business", "field"),
    [
        ({"kvk_number": None}, "business.kvk_number"),
        ({"kvk_number": "1234"}, "business.kvk_number"),
        ({"country": "DE"}, "business.country"),
        ({"goods_categories": []}, "business.goods_categories"),
        ({"goods_categories": ["phone", "drugs"]}, "business.goods_categories.1"),
        ({"contact": {}}, "business.contact.name"),
        ({"name": ""}, "business.name"),
    ],
)
def test_an_incomplete_report_is_refused_naming_the_field(api, pending, session, business, field):
    response = api.post("/api/v1/meldplicht", report_body("start", TODAY, **business), as_=pending)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert session.scalar(select(DolReport)) is None


def test_a_start_names_an_existing_municipality(api, pending):
    body = {**report_body("start", TODAY), "municipality": "GM9999"}
    response = api.post("/api/v1/meldplicht", body, as_=pending)
    assert response.status_code == 422 and "municipality" in response.json["errors"]


def test_a_start_needs_the_business_described(api, pending):
    response = api.post(
        "/api/v1/meldplicht", {"type": "start", "effective_date": "2026-12-01"}, as_=pending
    )
    assert response.status_code == 422 and "business" in response.json["errors"]


def test_a_foreign_dealer_gives_its_country_instead_of_a_kvk_number(api, make):
    dealer = make.dealer(kind="foreign", country="BE", active=False)
    user = make.user("dealer", dealer=dealer)
    body = report_body("start", TODAY + timedelta(days=7), kvk_number=None, country="BE")
    response = api.post("/api/v1/meldplicht", body, as_=user)
    assert response.status_code == 201, response.json
    assert response.json["business"]["country"] == "BE"
    assert response.json["business"]["kvk_number"] is None


def test_a_foreign_dealer_cannot_claim_the_netherlands(api, make):
    user = make.user("dealer", dealer=make.dealer(kind="foreign", active=False))
    body = report_body("start", TODAY, kvk_number=None, country="NL")
    response = api.post("/api/v1/meldplicht", body, as_=user)
    assert response.status_code == 422 and "business.country" in response.json["errors"]


# --- scope ---------------------------------------------------------------------------------


def test_reports_outside_the_callers_scope_answer_404(api, pending, make):
    filed = api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending).json
    utrecht = make.municipality("GM0344", "Utrecht")
    for role in ("municipality", "enforcement"):
        outsider = make.user(role, municipality=utrecht)
        assert api.get(f"/api/v1/meldplicht/{filed['id']}", as_=outsider).status_code == 404
        assert api.get("/api/v1/meldplicht", as_=outsider).json["total"] == 0
    other_dealer = make.user("dealer")
    assert api.get(f"/api/v1/meldplicht/{filed['id']}", as_=other_dealer).status_code == 404
    decision = api.post(
        f"/api/v1/meldplicht/{filed['id']}/decision",
        {"decision": "accepted"},
        as_=make.user("municipality", municipality=utrecht),
    )
    assert decision.status_code == 404


def test_police_and_a_national_officer_see_every_report(api, pending, make):
    api.post("/api/v1/meldplicht", report_body("start", TODAY), as_=pending)
    assert api.get("/api/v1/meldplicht", as_=make.user("police")).json["total"] == 1
    national = make.user("enforcement", national=True)
    assert api.get("/api/v1/meldplicht", as_=national).json["total"] == 1
