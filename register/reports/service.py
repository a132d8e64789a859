"""Aggregate figures: the summary the minister reports to parliament, and monthly series.

A period runs from the first day 00:00 to the day after the last day 00:00, Dutch time.
Figures are counted in the database (COUNT/SUM with GROUP BY or CASE), never by loading rows.
For a municipality, a dealer's figures count where the dealer is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from notifications.models import DEAD, DELIVERED, IN_FLIGHT, PENDING, OutboxEvent

from ..clock import AMSTERDAM
from ..dealers.meldplicht import REPORT_STATUSES, REPORT_TYPES, DolReport
from ..dealers.models import DEALER_STATUSES, Dealer, Municipality
from ..hits.models import Hit
from ..inspections.models import OUTCOMES, Inspection, InspectionTask
from ..purchases.models import Item, Purchase

MAX_MONTHS = 36


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole country, one municipality, or one dealer."""

    municipality: Municipality | None = None
    dealer_id: int | None = None

    def dealers(self, dealer_column):
        """A WHERE clause on a dealer id column."""
        if self.dealer_id is not None:
            return dealer_column == self.dealer_id
        if self.municipality is not None:
            return dealer_column.in_(
                select(Dealer.id).where(Dealer.municipality_id == self.municipality.id)
            )
        return true()


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period [start 00:00, end+1 00:00) in Dutch time, as UTC instants."""
    low = datetime.combine(start, time(), tzinfo=AMSTERDAM).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), tzinfo=AMSTERDAM).astimezone(UTC)
    return low, high


def _count(session: Session, column, *where) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0


def _by(session: Session, group_column, keys, *where) -> dict[str, int]:
    rows = session.execute(
        select(group_column, func.count()).where(*where).group_by(group_column)
    ).all()
    found = dict(rows)
    return {key: int(found.get(key, 0)) for key in keys}


def summary(session: Session, scope: Scope, start: date, end: date) -> dict:
    """The counts of API.md's summary for the period."""
    low, high = bounds(start, end)
    in_scope = scope.dealers
    connected = [
        Dealer.status == "active",
        or_(Dealer.activated_at.is_(None), Dealer.activated_at < high),
        in_scope(Dealer.id),
    ]
    reports_where = [DolReport.submitted_at >= low, DolReport.submitted_at < high]
    if scope.dealer_id is not None:
        reports_where.append(DolReport.dealer_id == scope.dealer_id)
    elif scope.municipality is not None:
        reports_where.append(DolReport.municipality_id == scope.municipality.id)
    by_status = _by(session, DolReport.status, REPORT_STATUSES, *reports_where)
    purchase_where = [
        Purchase.recorded_at >= low,
        Purchase.recorded_at < high,
        in_scope(Purchase.dealer_id),
    ]
    inspection_where = [
        Inspection.inspected_at >= low,
        Inspection.inspected_at < high,
        in_scope(Inspection.dealer_id),
    ]
    outcomes = _by(session, Inspection.outcome, OUTCOMES, *inspection_where)
    return {
        "from": start,
        "to": end,
        "municipality": None
        if scope.municipality is None
        else {"code": scope.municipality.code, "name": scope.municipality.name},
        "dealers": {
            "connected": _count(session, Dealer.id, *connected),
            "municipalities": session.scalar(
                select(func.count(func.distinct(Dealer.municipality_id))).where(*connected)
            )
            or 0,
            "by_status": _by(session, Dealer.status, DEALER_STATUSES, in_scope(Dealer.id)),
        },
        "meldplicht": {
            **by_status,
            "total": sum(by_status.values()),
            "late": _count(session, DolReport.id, DolReport.timely.is_(False), *reports_where),
            "by_type": _by(session, DolReport.type, REPORT_TYPES, *reports_where),
        },
        "purchases": _count(session, Purchase.id, *purchase_where),
        "items": session.scalar(
            select(func.count(Item.id))
            .join(Purchase, Item.purchase_id == Purchase.id)
            .where(*purchase_where)
        )
        or 0,
        "hits": _count(
            session, Hit.id, Hit.created_at >= low, Hit.created_at < high, in_scope(Hit.dealer_id)
        ),
        "police_notifications": _notifications(session, scope, low, high),
        "inspections": {**outcomes, "total": sum(outcomes.values())},
        "open_inspection_tasks": _count(
            session,
            InspectionTask.id,
            InspectionTask.status == "open",
            in_scope(InspectionTask.dealer_id),
        ),
    }


def _notifications(session: Session, scope: Scope, low: datetime, high: datetime) -> dict:
    """Outbox events created in the period, by delivery status ("pending" includes those in
    flight). Nationally every event; for a municipality or a dealer, the events of its hits
    and of the DOL reports made to it."""
    where = [OutboxEvent.created_at >= low, OutboxEvent.created_at < high]
    if scope.municipality is not None or scope.dealer_id is not None:
        hit_events = select(Hit.outbox_event_id).where(
            Hit.outbox_event_id.is_not(None), scope.dealers(Hit.dealer_id)
        )
        report_events = select(DolReport.outbox_event_id).where(
            DolReport.outbox_event_id.is_not(None),
            DolReport.dealer_id == scope.dealer_id
            if scope.dealer_id is not None
            else DolReport.municipality_id == scope.municipality.id,
        )
        where.append(or_(OutboxEvent.id.in_(hit_events), OutboxEvent.id.in_(report_events)))
    counts = _by(session, OutboxEvent.status, (PENDING, IN_FLIGHT, DELIVERED, DEAD), *where)
    return {
        "delivered": counts[DELIVERED],
        "pending": counts[PENDING] + counts[IN_FLIGHT],
        "dead": counts[DEAD],
    }


def months(start: date, end: date) -> list[date]:
    """The first day of every month the period touches (at most MAX_MONTHS, the latest)."""
    first = date(start.year, start.month, 1)
    found = []
    while first <= end:
        found.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return found[-MAX_MONTHS:]


def monthly(session: Session, scope: Scope, start: date, end: date) -> dict:
    """Registrations (purchases) and hits per month of the period, Dutch calendar months."""
    starts = months(start, end)
    edges = [max(m, start) for m in starts] + [end + timedelta(days=1)]
    instants = [bounds(day, day)[0] for day in edges]

    def per_month(column, *where):
        sums = [
            func.sum(case((and_(column >= instants[i], column < instants[i + 1]), 1), else_=0))
            for i in range(len(starts))
        ]
        row = session.execute(
            select(*sums).where(column >= instants[0], column < instants[-1], *where)
        ).one()
        return [int(value or 0) for value in row]

    return {
        "months": [m.strftime("%Y-%m") for m in starts],
        "registrations": per_month(Purchase.recorded_at, scope.dealers(Purchase.dealer_id)),
        "hits": per_month(Hit.created_at, scope.dealers(Hit.dealer_id)),
    }


def dealers_per_municipality(session: Session, scope: Scope, limit: int = 12) -> list[dict]:
    """Dealers by status per municipality, the municipalities with most connected first."""
    statement = (
        select(
            Municipality.code,
            Municipality.name,
            *[func.sum(case((Dealer.status == s, 1), else_=0)) for s in DEALER_STATUSES],
        )
        .join(Dealer, Dealer.municipality_id == Municipality.id)
        .group_by(Municipality.id, Municipality.code, Municipality.name)
    )
    if scope.municipality is not None:
        statement = statement.where(Municipality.id == scope.municipality.id)
    if scope.dealer_id is not None:
        statement = statement.where(Dealer.id == scope.dealer_id)
    rows = [
        {
            "code": code,
            "name": name,
            **{s: int(v or 0) for s, v in zip(DEALER_STATUSES, values, strict=True)},
        }
        for code, name, *values in session.execute(statement).all()
    ]
    rows.sort(key=lambda r: (-r["active"], r["code"]))
    return rows[:limit]


def flatten(figures: dict, prefix: str = "") -> list[tuple[str, object]]:
    """The summary as (dotted key, value) rows, for the CSV export."""
    rows: list[tuple[str, object]] = []
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value.isoformat() if isinstance(value, date) else value))
    return rows
