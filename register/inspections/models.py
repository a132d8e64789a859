"""DOC: inspection tasks (the queue) for enforcement officers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

TASK_REASONS = (
    "hit", "late_registration", "late_report", "missing_report", "no_registrations",
    "routine", "follow_up",
)  # fmt: skip
TASK_STATUSES = ("open", "done", "cancelled")


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
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    dealer = relationship("Dealer", lazy="joined")
