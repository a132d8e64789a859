"""DOC: inspection tasks (the queue) for enforcement officers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..inputs import with_offset

TASK_REASONS = (
    "hit", "late_registration", "late_report", "missing_report", "no_registrations",
    "routine", "follow_up",
)  # fmt: skip
TASK_STATUSES = ("open", "done", "cancelled")
# A task is closed once: done by the inspection that answers it, or cancelled when it no
# longer applies (the dealer stopped trading).
TASK_TRANSITIONS: dict[str, set[str]] = {
    "open": {"done", "cancelled"},
    "done": set(),
    "cancelled": set(),
}

OUTCOMES = ("compliant", "warning", "official_report")
# The checklist of API.md, in the order an officer works through it.
CHECKS = (
    "registered_with_municipality",
    "register_kept",
    "entries_complete",
    "holding_period_respected",
    "stock_matches_register",
)


class IllegalTaskTransition(ValueError):
    """The task's current status does not allow the requested change."""


class InspectionTask(db.Model):
    __tablename__ = "inspection_tasks"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),
        Index("ix_inspection_tasks_queue", "municipality_id", "status", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first
    status: Mapped[str] = mapped_column(String(16), default="open")
    # What caused the task ("hit:12", "purchase:40"): one task per cause.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    details: Mapped[str | None] = mapped_column(Text)  # English, as the API shows it
    # The same text as a message template and its parameters, translated where it is shown.
    details_template: Mapped[str | None] = mapped_column(String(300))
    details_params: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A follow-up inspection is due on a date; other tasks are due at once.
    due_date: Mapped[date | None] = mapped_column(Date)

    dealer = relationship("Dealer", lazy="joined")


def transition_task(task: InspectionTask, new: str, *, now: datetime) -> None:
    """The one place a task's status changes; refuses illegal transitions."""
    if new not in TASK_TRANSITIONS[task.status]:
        raise IllegalTaskTransition(f"a task that is {task.status} cannot become {new}")
    task.status = new
    task.closed_at = now


class Inspection(db.Model):
    """One logged inspection of a dealer: the checklist, the findings and the outcome."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("outcome IN ('compliant', 'warning', 'official_report')", name="outcome"),
        Index("ix_inspections_municipality_at", "municipality_id", "inspected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    # The dealer's municipality at the time: the municipality that follows the outcome up.
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    inspected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The UTC offset (minutes) the officer gave ``inspected_at`` with: stored UTC, shown at it.
    inspected_at_offset_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_with_municipality: Mapped[bool] = mapped_column(Boolean)
    register_kept: Mapped[bool] = mapped_column(Boolean)
    entries_complete: Mapped[bool] = mapped_column(Boolean)
    holding_period_respected: Mapped[bool] = mapped_column(Boolean)
    stock_matches_register: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    # An official report (proces-verbaal) is for the municipality to act on.
    flagged_for_municipality: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_tasks.id"))
    # The goods check done in the shop: each identifier found and what the register says.
    goods_check: Mapped[list | None] = mapped_column(JSON)

    dealer = relationship("Dealer", lazy="joined")
    officer = relationship("User", lazy="joined")
    task = relationship(InspectionTask, foreign_keys=[task_id])
    follow_up_task = relationship(InspectionTask, foreign_keys=[follow_up_task_id])

    @property
    def inspected_at_as_given(self) -> datetime:
        """``inspected_at`` at the offset it was given with (UTC for older rows)."""
        return with_offset(self.inspected_at, self.inspected_at_offset_minutes)

    @property
    def checks(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in CHECKS}
