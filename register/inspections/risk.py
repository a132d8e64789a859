"""The risk score that orders the inspection queue (documented in docs/risk-score.md).

A dealer's risk rises with every hit and every violation found in the last year, so dealers
who broke the rules are visited first and more often:

    dealer risk = 20 x hits                     (at most 5 counted)
                +  5 x late registrations        (at most 10)
                + 15 x late DOL reports         (at most 3)
                + 25 x missing DOL reports      (at most 2)
                + 20 x inspections ending in a warning          (at most 3)
                + 40 x inspections ending in an official report (at most 2)

    task score  = the task's reason weight (REASON_WEIGHT) + dealer risk + waiting

where ``waiting`` is the number of days since the task became due (at most 30), negative for
a follow-up whose date has not come yet (at least -30), so old tasks do not starve and a
follow-up rises when it is due. The caps keep one bad month from burying every other dealer.

The routine visit interval shrinks as the risk rises: ``max(minimum, base x 50 / (50 +
risk))``; with the defaults a clean dealer is visited once a year, a dealer with risk 50 twice
a year, a dealer with risk 150 four times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dealers.meldplicht import DolReport
from ..hits.models import Hit
from ..purchases.models import Purchase
from .models import Inspection, InspectionTask

RISK_WINDOW_DAYS = 365

# The weight of the reason a task exists: a suspected stolen good first.
REASON_WEIGHT = {
    "hit": 100,
    "missing_report": 60,
    "follow_up": 50,
    "late_registration": 40,
    "late_report": 40,
    "no_registrations": 30,
    "routine": 10,
}

# factor: (points per occurrence, most occurrences counted)
RISK_FACTORS = {
    "hits": (20, 5),
    "late_registrations": (5, 10),
    "late_reports": (15, 3),
    "missing_reports": (25, 2),
    "warnings": (20, 3),
    "official_reports": (40, 2),
}
MAX_WAITING_DAYS = 30


@dataclass(frozen=True)
class DealerRisk:
    dealer_id: int
    counts: dict[str, int]

    @property
    def score(self) -> int:
        return sum(
            points * min(self.counts.get(name, 0), cap)
            for name, (points, cap) in RISK_FACTORS.items()
        )


def _grouped(session: Session, column, dealer_column, where, dealer_ids) -> dict[int, int]:
    statement = select(dealer_column, func.count(column)).where(*where).group_by(dealer_column)
    if dealer_ids is not None:
        statement = statement.where(dealer_column.in_(dealer_ids))
    return dict(session.execute(statement).all())


def dealer_risks(
    session: Session, now: datetime, dealer_ids: Iterable[int] | None = None
) -> dict[int, DealerRisk]:
    """The risk of each dealer (all dealers with any risk when ``dealer_ids`` is None)."""
    ids = None if dealer_ids is None else sorted(set(dealer_ids))
    if ids == []:
        return {}
    since = now - timedelta(days=RISK_WINDOW_DAYS)
    factors = {
        "hits": _grouped(session, Hit.id, Hit.dealer_id, [Hit.created_at >= since], ids),
        "late_registrations": _grouped(
            session,
            Purchase.id,
            Purchase.dealer_id,
            [Purchase.late.is_(True), Purchase.recorded_at >= since],
            ids,
        ),
        "late_reports": _grouped(
            session,
            DolReport.id,
            DolReport.dealer_id,
            [DolReport.timely.is_(False), DolReport.submitted_at >= since],
            ids,
        ),
        "missing_reports": _grouped(
            session,
            InspectionTask.id,
            InspectionTask.dealer_id,
            [InspectionTask.reason == "missing_report", InspectionTask.created_at >= since],
            ids,
        ),
        "warnings": _grouped(
            session,
            Inspection.id,
            Inspection.dealer_id,
            [Inspection.outcome == "warning", Inspection.inspected_at >= since],
            ids,
        ),
        "official_reports": _grouped(
            session,
            Inspection.id,
            Inspection.dealer_id,
            [Inspection.outcome == "official_report", Inspection.inspected_at >= since],
            ids,
        ),
    }
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for name, per_dealer in factors.items():
        for dealer_id, count in per_dealer.items():
            counts[dealer_id][name] = count
    wanted = ids if ids is not None else list(counts)
    return {dealer_id: DealerRisk(dealer_id, counts.get(dealer_id, {})) for dealer_id in wanted}


def task_score(task: InspectionTask, risk: DealerRisk | None, today: date) -> int:
    """The queue's order: reason weight + dealer risk + days waiting (see module docstring)."""
    became_due = task.due_date or _date(task.created_at)
    waiting = max(-MAX_WAITING_DAYS, min(MAX_WAITING_DAYS, (today - became_due).days))
    return REASON_WEIGHT.get(task.reason, 0) + (risk.score if risk else 0) + waiting


def routine_interval_days(risk_score: int, *, base: int, minimum: int) -> int:
    """How often a dealer gets a routine visit: less often the cleaner its record."""
    return max(minimum, round(base * 50 / (50 + max(0, risk_score))))


def _date(value: datetime) -> date:
    from ..clock import AMSTERDAM, aware

    return aware(value).astimezone(AMSTERDAM).date()
