"""DOC rules: opening inspection tasks, the queue, logging inspections, the goods check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stolen_db.normalize import normalize_imei, normalize_serial

from ..clock import AMSTERDAM, aware
from ..dealers.models import Dealer
from ..inputs import offset_minutes
from ..purchases.messages import Message
from ..purchases.models import Item
from .models import CHECKS, OUTCOMES, TASK_REASONS, Inspection, InspectionTask, transition_task
from .risk import REASON_WEIGHT, dealer_risks, task_score

# Kept for callers of the foundation: the stored priority of a task is its reason's weight;
# the queue orders by the full risk score (register.inspections.risk).
REASON_PRIORITY = REASON_WEIGHT

# Tasks that no longer apply once a dealer has stopped trading.
CANCELLED_ON_STOP = ("no_registrations", "routine")
MAX_GOODS_CHECK = 200


class InspectionError(ValueError):
    """Bad input for an inspection (answered with 422 naming the field)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class TaskConflict(Exception):
    """The task's state forbids this (answered with 409)."""


def open_task(
    session: Session,
    *,
    dealer: Dealer,
    reason: str,
    now: datetime,
    dedupe_key: str | None = None,
    details: str | Message | None = None,
    due_date: date | None = None,
) -> InspectionTask:
    """Queue an inspection of ``dealer`` (flushes, never commits); one task per dedupe_key."""
    if reason not in TASK_REASONS:
        raise ValueError(f"unknown inspection reason {reason!r}")
    if dedupe_key is not None:
        existing = session.scalar(
            select(InspectionTask).where(InspectionTask.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    task = InspectionTask(
        **_new_task(dealer.id, dealer.municipality_id, reason, dedupe_key, details, now),
        due_date=due_date,
    )
    session.add(task)
    session.flush()
    return task


def _new_task(dealer_id, municipality_id, reason, dedupe_key, details, now) -> dict:
    """A task row; a ``Message`` as details is kept as text (the API's) and as its template
    with parameters, so that pages can show it in the reader's language."""
    structured = isinstance(details, Message)
    return {
        "dealer_id": dealer_id,
        "municipality_id": municipality_id,
        "reason": reason,
        "priority": REASON_WEIGHT[reason],
        "status": "open",
        "dedupe_key": dedupe_key,
        "details": str(details) if details is not None else None,
        "details_template": details.template if structured else None,
        "details_params": details.params if structured else None,
        "created_at": now,
    }


def cancel_tasks_for_stopped_dealer(session: Session, dealer: Dealer, *, now: datetime) -> int:
    """A stopped dealer needs no routine visit and is not expected to register anything."""
    tasks = session.scalars(
        select(InspectionTask).where(
            InspectionTask.dealer_id == dealer.id,
            InspectionTask.status == "open",
            InspectionTask.reason.in_(CANCELLED_ON_STOP),
        )
    ).all()
    for task in tasks:
        transition_task(task, "cancelled", now=now)
    session.flush()
    return len(tasks)


def dealers_in_scope(principal):
    return select(Dealer).where(principal.dealer_clause(Dealer.id, Dealer.municipality_id))


def dealer_for(session: Session, principal, dealer_id) -> Dealer | None:
    """The dealer if ``principal`` may see it, else None (the caller answers 404)."""
    dealer = session.get(Dealer, dealer_id) if dealer_id is not None else None
    return dealer if principal.sees_dealer(dealer) else None


@dataclass(frozen=True)
class QueueEntry:
    task: InspectionTask
    score: int
    dealer_risk: int


def task_queue(session: Session, principal, *, now: datetime) -> list[QueueEntry]:
    """The open tasks in scope, highest risk score first."""
    tasks = session.scalars(
        select(InspectionTask)
        .join(Dealer, InspectionTask.dealer_id == Dealer.id)
        .where(
            InspectionTask.status == "open",
            principal.dealer_clause(Dealer.id, Dealer.municipality_id),
        )
    ).all()
    risks = dealer_risks(session, now, {t.dealer_id for t in tasks})
    today = now.astimezone(AMSTERDAM).date()
    entries = [
        QueueEntry(t, task_score(t, risks.get(t.dealer_id), today), _risk(risks, t.dealer_id))
        for t in tasks
    ]
    entries.sort(key=lambda e: (-e.score, e.task.created_at, e.task.id))
    return entries


def _risk(risks, dealer_id) -> int:
    risk = risks.get(dealer_id)
    return risk.score if risk else 0


def task_for(session: Session, principal, task_id) -> InspectionTask | None:
    task = session.get(InspectionTask, task_id) if task_id is not None else None
    if task is None or not principal.sees_dealer(task.dealer):
        return None
    return task


def log_inspection(
    session: Session,
    *,
    dealer: Dealer,
    inspected_at: datetime,
    checks: dict[str, bool],
    outcome: str,
    now: datetime,
    findings: str | None = None,
    task: InspectionTask | None = None,
    officer_id: int | None = None,
    identifiers: list[str] | None = None,
    follow_up_days: int = 28,
) -> Inspection:
    """Record an inspection (flushes, never commits).

    It closes the task it answers; a warning schedules a follow-up inspection; an official
    report is flagged for the municipality.
    """
    if outcome not in OUTCOMES:
        raise InspectionError(
            Message("outcome must be one of %(outcomes)s", outcomes=", ".join(OUTCOMES)), "outcome"
        )
    missing = [name for name in CHECKS if not isinstance(checks.get(name), bool)]
    if missing:
        raise InspectionError(
            Message("answer every check with true or false"), "checks." + missing[0]
        )
    inspected_at = aware(inspected_at)
    if inspected_at > now + timedelta(minutes=5):
        raise InspectionError(Message("an inspection cannot be in the future"), "inspected_at")
    if task is not None:
        if task.dealer_id != dealer.id:
            raise InspectionError(Message("this task is for another dealer"), "task_id")
        if task.status != "open":
            raise TaskConflict(Message("this task is %(status)s already", status=task.status))
    if outcome == "compliant" and not all(checks[name] for name in CHECKS):
        raise InspectionError(
            Message("an inspection with a failed check cannot be compliant"), "outcome"
        )
    inspection = Inspection(
        dealer_id=dealer.id,
        municipality_id=dealer.municipality_id,
        officer_id=officer_id,
        task_id=task.id if task is not None else None,
        inspected_at=inspected_at.astimezone(UTC),
        inspected_at_offset_minutes=offset_minutes(inspected_at),
        recorded_at=now,
        findings=(findings or "").strip() or None,
        outcome=outcome,
        flagged_for_municipality=outcome == "official_report",
        goods_check=goods_check(session, dealer, identifiers, now=now) if identifiers else None,
        **{name: checks[name] for name in CHECKS},
    )
    session.add(inspection)
    session.flush()
    if task is not None:
        transition_task(task, "done", now=now)
    if outcome == "warning":
        due = inspected_at.astimezone(AMSTERDAM).date() + timedelta(days=follow_up_days)
        follow_up = open_task(
            session,
            dealer=dealer,
            reason="follow_up",
            now=now,
            dedupe_key=f"inspection:{inspection.id}:follow_up",
            details=Message(
                "follow-up of the warning given in inspection %(inspection)s",
                inspection=inspection.id,
            ),
            due_date=due,
        )
        inspection.follow_up_task_id = follow_up.id
    session.flush()
    return inspection


def inspections_in_scope(principal):
    return (
        select(Inspection)
        .join(Dealer, Inspection.dealer_id == Dealer.id)
        .where(
            or_(
                principal.dealer_clause(Dealer.id, Dealer.municipality_id),
                principal.municipality_clause(Inspection.municipality_id),
            )
        )
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
    )


def inspection_for(session: Session, principal, inspection_id) -> Inspection | None:
    return session.scalar(inspections_in_scope(principal).where(Inspection.id == inspection_id))


# Goods check: what an officer finds in the shop against what the register says.
NOT_REGISTERED = "not_registered"
IN_HOLDING_PERIOD = "in_holding_period"
POLICE_HOLD = "police_hold"
REGISTERED_AS_SOLD = "registered_as_sold"
REGISTERED = "registered"
GOODS_PROBLEMS = (NOT_REGISTERED, IN_HOLDING_PERIOD, POLICE_HOLD, REGISTERED_AS_SOLD)


def goods_check(
    session: Session, dealer: Dealer, identifiers: list[str] | None, *, now: datetime
) -> list[dict]:
    """For each identifier found in the shop: is it in the register, and may it be on sale?

    ``not_registered``: missing from the register. ``in_holding_period``: on offer while the
    holding period runs. ``police_hold``: the police hold it (it must not be on offer).
    ``registered_as_sold``: the register says it left the shop. ``registered``: in order.
    """
    cleaned = [i.strip() for i in identifiers or [] if i and i.strip()]
    if len(cleaned) > MAX_GOODS_CHECK:
        raise InspectionError(
            Message("check at most %(n)s identifiers at a time", n=MAX_GOODS_CHECK), "identifiers"
        )
    today = now.astimezone(AMSTERDAM).date()
    results = []
    for typed in cleaned:
        item = _find_item(session, dealer.id, typed)
        results.append(_goods_result(typed, item, today))
    return results


def _find_item(session: Session, dealer_id: int, typed: str) -> Item | None:
    serial = normalize_serial(typed)
    digits = normalize_imei(typed)
    conditions = []
    if serial:
        conditions += [Item.serial_norm == serial, Item.frame_norm == serial]
    if digits and len(digits) >= 14 and digits == serial:
        conditions.append(Item.imei_norm == digits)
    if not conditions:
        return None
    return session.scalar(
        select(Item)
        .where(Item.dealer_id == dealer_id, or_(*conditions))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(1)
    )


def _goods_result(typed: str, item: Item | None, today: date) -> dict:
    if item is None:
        return {"identifier": typed, "result": NOT_REGISTERED, "problem": True, "item": None}
    if item.status == "police_hold":
        result = POLICE_HOLD
    elif item.status in ("sold", "seized"):
        result = REGISTERED_AS_SOLD
    elif item.hold_until >= today:
        result = IN_HOLDING_PERIOD
    else:
        result = REGISTERED
    return {
        "identifier": typed,
        "result": result,
        "problem": result in GOODS_PROBLEMS,
        "item": {
            "id": item.id,
            "purchase_id": item.purchase_id,
            "category": item.category,
            "brand": item.brand,
            "model": item.model,
            "status": item.status,
            "hold_until": item.hold_until.isoformat(),
        },
    }
