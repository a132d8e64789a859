"""The summary's figures equal counts made independently from the rows the test created."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.models import OutboxEvent
from register.dealers.meldplicht_service import Business, decide, file_report
from register.inspections.service import log_inspection
from tests.register.inspections.helpers import BUSINESS, make_hit, make_purchase
from tests.register.inspections.test_sources import CLEAN

AMS = ZoneInfo("Europe/Amsterdam")
START, END = date(2026, 11, 1), date(2026, 11, 30)


def in_period(when: datetime) -> bool:
    return START <= when.astimezone(AMS).date() <= END


@pytest.fixture
def world(make, session, clock):
    """Two municipalities with dealers, purchases, hits, reports, notifications, inspections;
    and a ledger of what was made, to count from."""
    amsterdam = make.municipality()
    utrecht = make.municipality("GM0344", "Utrecht")
    ledger = {"purchases": [], "hits": [], "reports": [], "inspections": [], "events": []}
    dealers = {
        "a1": make.dealer(municipality=amsterdam),
        "a2": make.dealer(municipality=amsterdam),
        "a3": make.dealer(municipality=amsterdam, active=False),
        "u1": make.dealer(municipality=utrecht),
        "u2": make.dealer(municipality=utrecht),
    }
    # Registrations around the period's edges (Dutch time): 31 Oct 23:30 UTC is 1 Nov.
    moments = [
        datetime(2026, 10, 31, 22, 30, tzinfo=UTC),  # 31 Oct 23:30 in Amsterdam: outside
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # 1 Nov 00:30: inside
        datetime(2026, 11, 15, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 22, 59, tzinfo=UTC),  # 30 Nov 23:59: inside
        datetime(2026, 11, 30, 23, 0, tzinfo=UTC),  # 1 Dec 00:00: outside
    ]
    imei = iter(["490154203237518", "356938035643809", "352099001761481", "354406060412573"])
    for n, (key, when) in enumerate(
        [(k, m) for k in ("a1", "a2", "u1") for m in moments] + [("u2", moments[2])]
    ):
        items = [{"category": "bicycle", "frame_number": f"F{n}-{i}"} for i in range(n % 3 + 1)]
        with_hit = n in (2, 7, 12, 3)
        if with_hit:
            items[0] = {"category": "phone", "imei": next(imei)}
        purchase = make_purchase(session, dealers[key], recorded_at=when, items=items)
        ledger["purchases"].append((key, when, len(items)))
        if with_hit:
            hit = make_hit(session, purchase, now=when)
            ledger["hits"].append((key, when))
            ledger["events"].append((key, when, hit.outbox_event_id))
    # DOL reports: filed on different days, some decided.
    for key, day, rtype, decision in [
        ("a3", date(2026, 11, 3), "start", None),
        ("a1", date(2026, 11, 10), "change", "accepted"),
        ("a2", date(2026, 10, 20), "change", "accepted"),  # outside
        ("u1", date(2026, 11, 12), "change", "rejected"),
        ("u2", date(2026, 11, 25), "stop", "accepted"),
    ]:
        when = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        business = None if rtype == "stop" else Business.from_data(BUSINESS)
        report = file_report(
            session,
            dealer=dealers[key],
            report_type=rtype,
            effective_date=day,
            now=when,
            business=business,
        )
        status = "submitted"
        if decision:
            decide(session, report, decision=decision, reason="r", now=when)
            status = decision
            if decision == "accepted":
                ledger["events"].append((key, when, report.outbox_event_id))
        ledger["reports"].append((key, when, status, report.timely))
    session.commit()
    # Delivery states: the worker delivered some, gave up on one.
    event_ids = [e[2] for e in ledger["events"]]
    statuses = {}
    for i, event_id in enumerate(event_ids):
        statuses[event_id] = ("delivered", "pending", "dead", "in_flight")[i % 4]
        session.get(OutboxEvent, event_id).status = statuses[event_id]
    ledger["event_status"] = statuses
    # Inspections.
    for key, day, outcome in [
        ("a1", 5, "compliant"),
        ("a1", 20, "warning"),
        ("a2", 21, "official_report"),
        ("u1", 22, "warning"),
        ("u1", 1, "compliant"),
    ]:
        when = datetime(2026, 11, day, 9, tzinfo=UTC)
        if day == 1:  # outside the period
            when = datetime(2026, 10, 30, 9, tzinfo=UTC)
        checks = CLEAN if outcome == "compliant" else {**CLEAN, "register_kept": False}
        log_inspection(
            session,
            dealer=dealers[key],
            inspected_at=when,
            checks=checks,
            outcome=outcome,
            now=clock.now(),
        )
        ledger["inspections"].append((key, when, outcome))
    session.commit()
    ledger["municipality_of"] = {
        "a1": "GM0363",
        "a2": "GM0363",
        "a3": "GM0363",
        "u1": "GM0344",
        "u2": "GM0344",
    }
    ledger["status_of"] = {k: d.status for k, d in dealers.items()}
    return ledger


def expected(ledger, code=None):
    mine = {k for k, c in ledger["municipality_of"].items() if code in (None, c)}
    purchases = [p for p in ledger["purchases"] if p[0] in mine and in_period(p[1])]
    reports = [r for r in ledger["reports"] if r[0] in mine and in_period(r[1])]
    events = [e for e in ledger["events"] if e[0] in mine and in_period(e[1])]
    event_status = [ledger["event_status"][e[2]] for e in events]
    inspections = [i for i in ledger["inspections"] if i[0] in mine and in_period(i[1])]
    connected = [k for k in mine if ledger["status_of"][k] == "active"]
    return {
        "connected": len(connected),
        "municipalities": len({ledger["municipality_of"][k] for k in connected}),
        "meldplicht": {
            s: sum(1 for r in reports if r[2] == s) for s in ("submitted", "accepted", "rejected")
        },
        "late": sum(1 for r in reports if not r[3]),
        "purchases": len(purchases),
        "items": sum(p[2] for p in purchases),
        "hits": sum(1 for h in ledger["hits"] if h[0] in mine and in_period(h[1])),
        "notifications": {
            "delivered": event_status.count("delivered"),
            "pending": event_status.count("pending") + event_status.count("in_flight"),
            "dead": event_status.count("dead"),
        },
        "inspections": {
            o: sum(1 for i in inspections if i[2] == o)
            for o in ("compliant", "warning", "official_report")
        },
    }


def actual(body):
    return {
        "connected": body["dealers"]["connected"],
        "municipalities": body["dealers"]["municipalities"],
        "meldplicht": {s: body["meldplicht"][s] for s in ("submitted", "accepted", "rejected")},
        "late": body["meldplicht"]["late"],
        "purchases": body["purchases"],
        "items": body["items"],
        "hits": body["hits"],
        "notifications": body["police_notifications"],
        "inspections": {
            o: body["inspections"][o] for o in ("compliant", "warning", "official_report")
        },
    }


def test_the_national_summary_equals_independent_counts(api, make, world):
    response = api.get("/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", as_="police")
    assert response.status_code == 200, response.json
    assert actual(response.json) == expected(world)
    assert response.json["purchases"] > 0 and response.json["hits"] > 0  # the test means something


@pytest.mark.parametrize("code", ["GM0363", "GM0344"])
def test_a_municipalitys_summary_equals_independent_counts(api, make, world, code):
    response = api.get(
        f"/api/v1/reports/summary?from=2026-11-01&to=2026-11-30&municipality={code}", as_="admin"
    )
    assert actual(response.json) == expected(world, code)
    assert response.json["municipality"]["code"] == code


def test_a_municipality_sees_its_own_figures_and_no_other(api, make, world, session):
    from register.dealers.service import municipality_by_code

    employee = make.user("municipality", municipality=municipality_by_code(session, "GM0344"))
    own = api.get("/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", as_=employee)
    assert actual(own.json) == expected(world, "GM0344")
    other = api.get("/api/v1/reports/summary?municipality=GM0363", as_=employee)
    assert other.status_code == 404


def test_the_csv_export_carries_the_same_figures(api, world):
    response = api.get("/api/v1/reports/summary.csv?from=2026-11-01&to=2026-11-30", as_="police")
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(response.get_data(as_text=True))))
    figures = expected(world)
    assert rows["purchases"] == str(figures["purchases"])
    assert rows["items"] == str(figures["items"])
    assert rows["police_notifications.dead"] == str(figures["notifications"]["dead"])
    assert rows["inspections.warning"] == str(figures["inspections"]["warning"])


def test_a_period_that_ends_before_it_starts_is_refused(api):
    response = api.get("/api/v1/reports/summary?from=2026-11-30&to=2026-11-01", as_="police")
    assert response.status_code == 422
    assert "from" in response.json["errors"]


def test_an_unknown_municipality_answers_404(api):
    response = api.get("/api/v1/reports/summary?municipality=GM9999", as_="police")
    assert response.status_code == 404


def test_the_dashboard_counts_registrations_per_dutch_month(app, make, session, world):
    from register.reports.service import Scope, monthly

    series = monthly(session, Scope(), date(2026, 10, 1), date(2026, 12, 31))
    assert series["months"] == ["2026-10", "2026-11", "2026-12"]
    per_month = {m: 0 for m in series["months"]}
    for _key, when, _n in world["purchases"]:
        per_month[when.astimezone(AMS).strftime("%Y-%m")] += 1
    assert series["registrations"] == [per_month[m] for m in series["months"]]
    assert sum(series["hits"]) == len(world["hits"])


def test_days_are_dutch_days(world):
    assert not in_period(datetime(2026, 10, 31, 22, 30, tzinfo=UTC))
    assert in_period(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    assert in_period(datetime(2026, 11, 30, 22, 59, tzinfo=UTC))
    assert not in_period(datetime(2026, 11, 30, 23, 0, tzinfo=UTC) + timedelta(seconds=0))
