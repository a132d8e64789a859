"""The daily inspection scheduling: tasks from the DOL and from the register's silence.

Hits and late registrations open their tasks themselves, in the transaction that finds them
(register.hits, register.purchases). This job adds what only shows with time passing:

- ``late_report``: a DOL report filed after its deadline (filing opens it at once; the job
  catches any that were missed);
- ``missing_report``: a dealer that registered acquisitions while it was not connected by an
  accepted report (pending, or after the effective date of its accepted stop), or whose
  start report was rejected and that has filed no new one more than 3 days after the day it
  said it would start trading;
- ``no_registrations``: an active dealer that registered nothing for
  ``INSPECTION_NO_REGISTRATIONS_DAYS`` days;
- ``routine``: an active dealer not visited for its routine interval, which shrinks as its
  risk score rises (register.inspections.risk).

Every task has a dedupe key naming its cause, so running the job again opens nothing new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import AMSTERDAM, aware
from ..dealers.meldplicht import ACCEPTED, REJECTED, REPORT_DEADLINE_DAYS, DolReport
from ..dealers.models import Dealer
from ..purchases.messages import Message
from ..purchases.models import Purchase
from .models import Inspection, InspectionTask
from .risk import RISK_WINDOW_DAYS, dealer_risks, routine_interval_days
from .service import open_task

DEFAULTS = {
    "INSPECTION_NO_REGISTRATIONS_DAYS": 30,
    "INSPECTION_ROUTINE_INTERVAL_DAYS": 365,
    "INSPECTION_ROUTINE_MIN_INTERVAL_DAYS": 30,
}


def schedule_inspections(
    session: Session, now: datetime, settings: Mapping | None = None
) -> Counter:
    """Open the tasks that are due (flushes, never commits); how many were opened, by reason."""
    if settings is None:
        from flask import current_app

        settings = current_app.config
    config = {key: int(settings.get(key, default)) for key, default in DEFAULTS.items()}
    opened: Counter = Counter()
    before = _open_task_ids(session)
    _late_reports(session, now)
    _missing_reports(session, now)
    _no_registrations(session, now, config["INSPECTION_NO_REGISTRATIONS_DAYS"])
    _routine(session, now, config)
    session.flush()
    for task in session.scalars(
        select(InspectionTask).where(InspectionTask.status == "open")
    ).all():
        if task.id not in before:
            opened[task.reason] += 1
    return opened


def _open_task_ids(session: Session) -> set[int]:
    return set(
        session.scalars(select(InspectionTask.id).where(InspectionTask.status == "open")).all()
    )


def _today(now: datetime):
    return now.astimezone(AMSTERDAM).date()


def _late_reports(session: Session, now: datetime) -> None:
    since = now - timedelta(days=RISK_WINDOW_DAYS)
    reports = session.scalars(
        select(DolReport).where(DolReport.timely.is_(False), DolReport.submitted_at >= since)
    ).all()
    for report in reports:
        open_task(
            session,
            dealer=report.dealer,
            reason="late_report",
            now=now,
            dedupe_key=f"meldplicht:{report.id}:late",
            details=Message(
                "%(type)s report %(report)s filed %(filed)s, deadline %(deadline)s",
                type=report.type,
                report=report.id,
                filed=str(report.submitted_on),
                deadline=str(report.deadline),
            ),
        )


def _missing_reports(session: Session, now: datetime) -> None:
    today = _today(now)
    # Registering while pending: trading without an accepted start report.
    pending_trading = session.scalars(
        select(Dealer).where(
            Dealer.status == "pending",
            select(Purchase.id).where(Purchase.dealer_id == Dealer.id).exists(),
        )
    ).all()
    for dealer in pending_trading:
        open_task(
            session,
            dealer=dealer,
            reason="missing_report",
            now=now,
            dedupe_key=f"missing_report:{dealer.id}:pending",
            details=Message("registered acquisitions without an accepted start report"),
        )
    # Registering after the stop it reported.
    stopped = session.scalars(select(Dealer).where(Dealer.status == "stopped")).all()
    for dealer in stopped:
        stop = _latest_report(session, dealer.id, "stop", ACCEPTED)
        if stop is None:
            continue
        after_stop = session.scalar(
            select(func.count(Purchase.id)).where(
                Purchase.dealer_id == dealer.id, Purchase.acquisition_date > stop.effective_date
            )
        )
        if after_stop:
            open_task(
                session,
                dealer=dealer,
                reason="missing_report",
                now=now,
                dedupe_key=f"missing_report:stop:{stop.id}",
                details=Message(
                    "%(count)s acquisitions registered after the stop of %(date)s "
                    "(report %(report)s) without a new start report",
                    count=after_stop,
                    date=str(stop.effective_date),
                    report=stop.id,
                ),
            )
    # A rejected start and no new one: the dealer may be trading without an accepted report.
    for dealer in session.scalars(select(Dealer).where(Dealer.status == "pending")).all():
        start = _latest_report(session, dealer.id, "start", None)
        if start is None or start.status != REJECTED:
            continue
        if today > start.effective_date + timedelta(days=REPORT_DEADLINE_DAYS):
            open_task(
                session,
                dealer=dealer,
                reason="missing_report",
                now=now,
                dedupe_key=f"missing_report:start:{start.id}",
                details=Message(
                    "start report %(report)s for %(date)s was rejected "
                    "and no new start report was filed",
                    report=start.id,
                    date=str(start.effective_date),
                ),
            )


def _latest_report(session: Session, dealer_id: int, report_type: str, status: str | None):
    statement = select(DolReport).where(
        DolReport.dealer_id == dealer_id, DolReport.type == report_type
    )
    if status is not None:
        statement = statement.where(DolReport.status == status)
    return session.scalar(
        statement.order_by(DolReport.submitted_at.desc(), DolReport.id.desc()).limit(1)
    )


def _no_registrations(session: Session, now: datetime, days: int) -> None:
    today = _today(now)
    last_registration = (
        select(func.max(Purchase.recorded_at))
        .where(Purchase.dealer_id == Dealer.id)
        .correlate(Dealer)
        .scalar_subquery()
    )
    rows = session.execute(select(Dealer, last_registration).where(Dealer.status == "active")).all()
    for dealer, last in rows:
        since = aware(last) if last is not None else aware(dealer.activated_at or dealer.created_at)
        since_day = since.astimezone(AMSTERDAM).date()
        if (today - since_day).days < days:
            continue
        open_task(
            session,
            dealer=dealer,
            reason="no_registrations",
            now=now,
            dedupe_key=f"no_registrations:{dealer.id}:{since_day.isoformat()}",
            details=Message(
                "nothing registered since %(date)s (%(days)s days)",
                date=str(since_day),
                days=(today - since_day).days,
            ),
        )


def _routine(session: Session, now: datetime, config: dict) -> None:
    today = _today(now)
    last_visit = (
        select(func.max(Inspection.inspected_at))
        .where(Inspection.dealer_id == Dealer.id)
        .correlate(Dealer)
        .scalar_subquery()
    )
    has_open_task = (
        select(InspectionTask.id)
        .where(InspectionTask.dealer_id == Dealer.id, InspectionTask.status == "open")
        .exists()
    )
    rows = session.execute(
        select(Dealer, last_visit).where(Dealer.status == "active", ~has_open_task)
    ).all()
    if not rows:
        return
    risks = dealer_risks(session, now, [dealer.id for dealer, _ in rows])
    for dealer, last in rows:
        since = aware(last) if last is not None else aware(dealer.activated_at or dealer.created_at)
        interval = routine_interval_days(
            risks[dealer.id].score,
            base=config["INSPECTION_ROUTINE_INTERVAL_DAYS"],
            minimum=config["INSPECTION_ROUTINE_MIN_INTERVAL_DAYS"],
        )
        due = since.astimezone(AMSTERDAM).date() + timedelta(days=interval)
        if today < due:
            continue
        open_task(
            session,
            dealer=dealer,
            reason="routine",
            now=now,
            dedupe_key=f"routine:{dealer.id}:{due.isoformat()}",
            details=Message("routine visit, every %(days)s days for this dealer", days=interval),
        )
