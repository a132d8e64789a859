"""The audit log: who looked at or changed which record, when and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..clock import utcnow
from .models import AuditEntry


def record_access(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    record_type: str,
    record_id,
    purpose: str | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction (flushes, never commits).

    Police and enforcement reads of personal data call this for every record they see, with
    the purpose they stated.
    """
    entry = AuditEntry(
        at=utcnow(),
        user_id=user_id,
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        purpose=purpose,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry
