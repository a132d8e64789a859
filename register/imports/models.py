"""Import jobs: a large CSV file waiting for, or being stored by, the notification worker.

The file lives in a table of its own, written once: the job row is updated after every
chunk, and on SQLite an update rewrites the whole row.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# A running job may be taken over (running -> running) when its worker stopped beating.
IMPORT_TRANSITIONS: dict[ImportStatus, set[ImportStatus]] = {
    ImportStatus.QUEUED: {ImportStatus.RUNNING},
    ImportStatus.RUNNING: {ImportStatus.RUNNING, ImportStatus.SUCCEEDED, ImportStatus.FAILED},
    ImportStatus.SUCCEEDED: set(),
    ImportStatus.FAILED: set(),
}


class IllegalImportTransition(ValueError):
    """The job's current status does not allow the requested change."""


def transition_job(job: ImportJob, new: ImportStatus) -> None:
    """The one place a job's status changes; refuses illegal transitions."""
    current = ImportStatus(job.status)
    if new not in IMPORT_TRANSITIONS[current]:
        raise IllegalImportTransition(f"an import job that is {current} cannot become {new}")
    job.status = new.value


class ImportJob(db.Model):
    """One dealer's CSV file, stored in chunks of whole purchases; ``rows_done`` rows are in
    the register (always the rows of the first purchases of the file, in file order)."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
        CheckConstraint("rows_done >= 0 AND rows_done <= rows_total", name="rows_done"),
        Index("ix_import_jobs_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED.value)
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    purchases: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    # Why it failed: a message ({"template", "params"}) and every bad row with its errors by
    # column, each message in the same form, so that pages show them in their language.
    detail: Mapped[dict | None] = mapped_column(JSON)
    errors: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The worker that holds the job and when it last showed it was alive; a job whose
    # worker stopped beating is taken over and resumed after its last stored chunk.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    file = relationship("ImportFile", uselist=False, lazy="raise", cascade="all")


class ImportFile(db.Model):
    """The CSV text of an import job, as decoded when it arrived."""

    __tablename__ = "import_files"

    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
