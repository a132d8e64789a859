"""DOC rules: opening inspection tasks. Extended by the DOL/DOC issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dealers.models import Dealer
from .models import TASK_REASONS, InspectionTask

# Base priority per reason; the DOC issue refines this into a documented risk score.
REASON_PRIORITY = {
    "hit": 100,
    "late_registration": 40,
    "late_report": 40,
    "missing_report": 60,
    "no_registrations": 30,
    "follow_up": 50,
    "routine": 10,
}


def open_task(
    session: Session,
    *,
    dealer: Dealer,
    reason: str,
    now: datetime,
    dedupe_key: str | None = None,
    details: str | None = None,
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
        dealer_id=dealer.id,
        municipality_id=dealer.municipality_id,
        reason=reason,
        priority=REASON_PRIORITY[reason],
        status="open",
        dedupe_key=dedupe_key,
        details=details,
        created_at=now,
    )
    session.add(task)
    session.flush()
    return task
