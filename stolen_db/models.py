"""Stolen reports (the Stop Heling database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from . import Base

REPORT_STATUSES = ("active", "withdrawn")


class StolenReport(Base):
    __tablename__ = "stolen_reports"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'withdrawn')", name="status"),
        Index("ix_stolen_reports_imei_norm", "imei_norm"),
        Index("ix_stolen_reports_serial_norm", "serial_norm"),
        Index("ix_stolen_reports_frame_norm", "frame_norm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_number: Mapped[str] = mapped_column(String(64), unique=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    imei: Mapped[str | None] = mapped_column(String(64))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    frame_number: Mapped[str | None] = mapped_column(String(100))
    imei_norm: Mapped[str | None] = mapped_column(String(32))
    serial_norm: Mapped[str | None] = mapped_column(String(100))
    frame_norm: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
