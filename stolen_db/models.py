"""Stolen reports (the Stop Heling database) and their matching keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from . import Base


class ReportStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


REPORT_STATUSES = tuple(s.value for s in ReportStatus)

# A withdrawn report (good recovered, report wrong) is final: a new theft is a new report.
REPORT_TRANSITIONS: dict[ReportStatus, set[ReportStatus]] = {
    ReportStatus.ACTIVE: {ReportStatus.WITHDRAWN},
    ReportStatus.WITHDRAWN: set(),
}


class IllegalReportTransition(ValueError):
    """The report's current status does not allow the requested change."""


def transition_report(report: StolenReport, new: ReportStatus, *, now: datetime) -> None:
    """The one place a report's status changes; refuses illegal transitions."""
    current = ReportStatus(report.status)
    if new == current:
        return
    if new not in REPORT_TRANSITIONS[current]:
        raise IllegalReportTransition(f"a report that is {current} cannot become {new}")
    report.status = new.value
    if new == ReportStatus.WITHDRAWN:
        report.withdrawn_at = now


class StolenReport(Base):
    __tablename__ = "stolen_reports"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'withdrawn')", name="status"),
        # Every normalised key is indexed: the exact and normalised tiers are point lookups.
        Index("ix_stolen_reports_imei_norm", "imei_norm"),
        Index("ix_stolen_reports_serial_norm", "serial_norm"),
        Index("ix_stolen_reports_frame_norm", "frame_norm"),
        Index("ix_stolen_reports_reported_at", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_number: Mapped[str] = mapped_column(String(64), unique=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(100))
    brand_norm: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    imei: Mapped[str | None] = mapped_column(String(64))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    frame_number: Mapped[str | None] = mapped_column(String(100))
    imei_norm: Mapped[str | None] = mapped_column(String(32))
    serial_norm: Mapped[str | None] = mapped_column(String(100))
    frame_norm: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.status == ReportStatus.ACTIVE


class StolenReportKey(Base):
    """The look-alike and near keys of a report's identifiers (see ``stolen_db.keys``).

    The primary key (key, report_id) is the index every look-alike and near lookup uses;
    on SQLite the table is stored WITHOUT ROWID, so that index is the table.
    """

    __tablename__ = "stolen_report_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    report_id: Mapped[int] = mapped_column(
        ForeignKey(StolenReport.id), primary_key=True, autoincrement=False
    )
