"""The DOL: reports under the reporting duty (meldplicht, art. 437ter Sr).

A dealer reports to the municipality where it trades that it starts, changes (address, name,
trade) or stops. The municipality accepts or rejects the report; an accepted start report
connects the dealer to the DOR at once, an accepted stop report disconnects it.
"""

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
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

REPORT_TYPES = ("start", "change", "stop")
SUBMITTED, ACCEPTED, REJECTED = "submitted", "accepted", "rejected"
REPORT_STATUSES = (SUBMITTED, ACCEPTED, REJECTED)
# A decision is final: a rejected report is answered by filing a new one.
REPORT_TRANSITIONS: dict[str, set[str]] = {
    SUBMITTED: {ACCEPTED, REJECTED},
    ACCEPTED: set(),
    REJECTED: set(),
}
DECISIONS = (ACCEPTED, REJECTED)

# art. 437ter Sr: a start is reported at least 3 days before the first trading day; a change
# or a stop within 3 days after it.
REPORT_DEADLINE_DAYS = 3


class IllegalReportTransition(ValueError):
    """The report's current status does not allow the requested decision."""


class DolReport(db.Model):
    __tablename__ = "dol_reports"
    __table_args__ = (
        CheckConstraint("type IN ('start', 'change', 'stop')", name="type"),
        CheckConstraint("status IN ('submitted', 'accepted', 'rejected')", name="status"),
        CheckConstraint("status = 'submitted' OR decided_at IS NOT NULL", name="decision_recorded"),
        Index("ix_dol_reports_queue", "municipality_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    # The municipality where the dealer trades: the one that reviews the report.
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    type: Mapped[str] = mapped_column(String(8))
    effective_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)  # the Dutch calendar date of filing
    timely: Mapped[bool] = mapped_column(Boolean)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED)

    # What the dealer reported (kept as reported; the dealer row holds the current state).
    business_name: Mapped[str] = mapped_column(String(200))
    kvk_number: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2), default="NL")
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    goods_categories: Mapped[list] = mapped_column(JSON, default=list)

    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    outbox_event_id: Mapped[int | None] = mapped_column()  # the police's dealer.reported

    dealer = relationship("Dealer", lazy="joined")
    municipality = relationship("Municipality", lazy="joined")

    @property
    def address(self) -> dict:
        return {
            "street": self.street,
            "house_number": self.house_number,
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
        }

    @property
    def contact(self) -> dict:
        return {"name": self.contact_name, "phone": self.contact_phone, "email": self.contact_email}


def transition_report(report: DolReport, new: str) -> None:
    """The one place a report's status changes; refuses illegal transitions."""
    if new not in REPORT_TRANSITIONS[report.status]:
        raise IllegalReportTransition(f"a report that is {report.status} cannot become {new}")
    report.status = new
