"""Every source of inspection tasks, and the daily scheduling that is safe to run again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from register.dealers.meldplicht_service import decide, file_report
from register.inspections.models import InspectionTask
from register.inspections.scheduling import schedule_inspections
from register.inspections.service import log_inspection, open_task

from .helpers import BUSINESS, make_hit, make_purchase

CLEAN = dict.fromkeys(
    (
        "registered_with_municipality",
        "register_kept",
        "entries_complete",
        "holding_period_respected",
        "stock_matches_register",
    ),
    True,
)
SETTINGS = {
    "INSPECTION_NO_REGISTRATIONS_DAYS": 30,
    "INSPECTION_ROUTINE_INTERVAL_DAYS": 365,
    "INSPECTION_ROUTINE_MIN_INTERVAL_DAYS": 30,
}


def tasks(session, reason=None):
    statement = select(InspectionTask).where(InspectionTask.status == "open")
    if reason:
        statement = statement.where(InspectionTask.reason == reason)
    return session.scalars(statement.order_by(InspectionTask.id)).all()


def run(session, clock, **settings):
    opened = schedule_inspections(session, clock.now(), {**SETTINGS, **settings})
    session.commit()
    return opened


def test_a_hit_opens_a_task(make, session, clock):
    dealer = make.dealer()
    purchase = make_purchase(
        session, dealer, recorded_at=clock.now(), items=[{"imei": "490154203237518"}]
    )
    make_hit(session, purchase, now=clock.now())
    (task,) = tasks(session, "hit")
    assert task.dealer_id == dealer.id


def test_a_late_registration_opens_a_task_through_open_task(make, session, clock):
    dealer = make.dealer()
    purchase = make_purchase(session, dealer, recorded_at=clock.now(), late=True)
    open_task(
        session,
        dealer=dealer,
        reason="late_registration",
        now=clock.now(),
        dedupe_key=f"purchase:{purchase.id}",
    )
    open_task(
        session,
        dealer=dealer,
        reason="late_registration",
        now=clock.now(),
        dedupe_key=f"purchase:{purchase.id}",
    )
    session.commit()
    assert len(tasks(session, "late_registration")) == 1


def test_a_late_dol_report_opens_a_task_once_however_often_scheduling_runs(make, session, clock):
    dealer = make.dealer()
    file_report(
        session,
        dealer=dealer,
        report_type="change",
        now=clock.now(),
        effective_date=clock.today() - timedelta(days=4),
        business=_business(),
    )
    session.commit()
    run(session, clock)
    run(session, clock)
    assert len(tasks(session, "late_report")) == 1


def _business():
    from register.dealers.meldplicht_service import Business

    return Business.from_data(BUSINESS)


def test_registering_while_pending_is_a_missing_report(make, session, clock):
    dealer = make.dealer(active=False)
    make_purchase(session, dealer, recorded_at=clock.now())
    assert run(session, clock)["missing_report"] == 1
    assert run(session, clock)["missing_report"] == 0


def test_registering_after_the_reported_stop_is_a_missing_report(make, session, clock):
    dealer = make.dealer()
    stop = file_report(
        session, dealer=dealer, report_type="stop", now=clock.now(), effective_date=clock.today()
    )
    decide(session, stop, decision="accepted", reason=None, now=clock.now())
    session.commit()
    make_purchase(session, dealer, recorded_at=clock.now(), acquisition_date=clock.today())
    assert run(session, clock)["missing_report"] == 0  # on the last day: still allowed
    make_purchase(
        session, dealer, recorded_at=clock.now(), acquisition_date=clock.today() + timedelta(days=1)
    )
    assert run(session, clock)["missing_report"] == 1


@pytest.mark.parametrize(("days_after", "expected"), [(2, 0), (3, 0), (4, 1)])
def test_a_rejected_start_without_a_new_one_becomes_a_missing_report_after_3_days(
    make, session, clock, days_after, expected
):
    dealer = make.dealer(active=False)
    start = file_report(
        session,
        dealer=dealer,
        report_type="start",
        now=clock.now(),
        effective_date=clock.today(),
        business=_business(),
    )
    decide(session, start, decision="rejected", reason="incomplete", now=clock.now())
    session.commit()
    clock.advance(days=days_after)
    assert run(session, clock)["missing_report"] == expected


@pytest.mark.parametrize(("quiet_days", "expected"), [(29, 0), (30, 1), (31, 1)])
def test_an_active_dealer_that_registers_nothing_gets_a_task(
    make, session, clock, quiet_days, expected
):
    dealer = make.dealer()
    make_purchase(session, dealer, recorded_at=clock.now())
    clock.advance(days=quiet_days)
    assert run(session, clock)["no_registrations"] == expected


def test_the_quiet_period_is_configurable_and_a_new_spell_makes_a_new_task(make, session, clock):
    dealer = make.dealer()
    clock.advance(days=10)
    assert run(session, clock, INSPECTION_NO_REGISTRATIONS_DAYS=10)["no_registrations"] == 1
    assert run(session, clock, INSPECTION_NO_REGISTRATIONS_DAYS=10)["no_registrations"] == 0
    (task,) = tasks(session, "no_registrations")
    log_inspection(
        session,
        dealer=dealer,
        inspected_at=clock.now(),
        checks=CLEAN,
        outcome="compliant",
        task=task,
        now=clock.now(),
    )
    make_purchase(session, dealer, recorded_at=clock.now())
    clock.advance(days=10)
    assert run(session, clock, INSPECTION_NO_REGISTRATIONS_DAYS=10)["no_registrations"] == 1


def test_pending_and_stopped_dealers_are_not_expected_to_register(make, session, clock):
    make.dealer(active=False)
    clock.advance(days=60)
    assert run(session, clock)["no_registrations"] == 0


@pytest.mark.parametrize(("days", "expected"), [(364, 0), (365, 1)])
def test_a_clean_dealer_gets_a_routine_visit_once_a_year(make, session, clock, days, expected):
    dealer = make.dealer()
    make_purchase(session, dealer, recorded_at=clock.now())
    log_inspection(
        session,
        dealer=dealer,
        inspected_at=clock.now(),
        checks=CLEAN,
        outcome="compliant",
        now=clock.now(),
    )
    session.commit()
    clock.advance(days=days)
    # Keep it registering so that only the routine visit can be due.
    make_purchase(session, dealer, recorded_at=clock.now())
    assert run(session, clock)["routine"] == expected


def test_a_dealer_that_broke_the_rules_is_visited_more_often(make, session, clock):
    clean, offender = make.dealer(), make.dealer()
    failed = {**CLEAN, "stock_matches_register": False}
    for _ in range(2):
        log_inspection(
            session,
            dealer=offender,
            inspected_at=clock.now(),
            checks=failed,
            outcome="official_report",
            now=clock.now(),
        )
    log_inspection(
        session,
        dealer=clean,
        inspected_at=clock.now(),
        checks=CLEAN,
        outcome="compliant",
        now=clock.now(),
    )
    session.commit()
    clock.advance(days=150)  # risk 80 -> every round(365 * 50 / 130) = 140 days
    for dealer in (clean, offender):
        make_purchase(session, dealer, recorded_at=clock.now())
    run(session, clock)
    assert [t.dealer_id for t in tasks(session, "routine")] == [offender.id]


def test_no_routine_visit_is_added_when_a_task_is_open_already(make, session, clock):
    dealer = make.dealer()
    open_task(session, dealer=dealer, reason="late_registration", now=clock.now())
    session.commit()
    clock.advance(days=400)
    make_purchase(session, dealer, recorded_at=clock.now())
    assert run(session, clock)["routine"] == 0


def test_a_warning_schedules_a_follow_up_inspection(make, session, clock):
    dealer = make.dealer()
    inspection = log_inspection(
        session,
        dealer=dealer,
        inspected_at=clock.now(),
        checks={**CLEAN, "entries_complete": False},
        outcome="warning",
        now=clock.now(),
        follow_up_days=28,
    )
    session.commit()
    (task,) = tasks(session, "follow_up")
    assert task.due_date == date(2026, 12, 25)
    assert inspection.follow_up_task_id == task.id


def test_an_accepted_stop_cancels_routine_and_quiet_tasks(make, session, clock):
    dealer = make.dealer()
    open_task(session, dealer=dealer, reason="routine", now=clock.now())
    open_task(session, dealer=dealer, reason="no_registrations", now=clock.now())
    open_task(session, dealer=dealer, reason="late_registration", now=clock.now())
    stop = file_report(
        session, dealer=dealer, report_type="stop", now=clock.now(), effective_date=clock.today()
    )
    decide(session, stop, decision="accepted", reason=None, now=clock.now())
    session.commit()
    assert [t.reason for t in tasks(session)] == ["late_registration"]


def test_the_schedule_command_opens_the_due_tasks(app, make, clock):
    make.dealer()
    clock.advance(days=40)
    result = app.test_cli_runner().invoke(args=["schedule-inspections"])
    assert result.exit_code == 0, result.output
    assert "no_registrations: 1" in result.output
