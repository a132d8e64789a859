"""The audit log: who looked at or changed which record, when and why.

Append-only and chained: every entry is recorded on the ledger's ``audit`` chain in the
transaction that writes it, so ``verify-register`` finds an entry deleted or edited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..clock import utcnow
from ..integrity.ledger import record_audit
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

    Police and enforcement reads of personal data call this (or ``record_accesses`` for
    many records at once) for every record they see, with the purpose they stated.
    """
    (entry,) = record_accesses(
        session,
        [
            {
                "user_id": user_id,
                "action": action,
                "record_type": record_type,
                "record_id": record_id,
                "purpose": purpose,
                "details": details,
            }
        ],
    )
    return entry


def record_accesses(session: Session, accesses: list[dict]) -> list[AuditEntry]:
    """Write an audit entry for each of ``accesses`` (``record_access``'s keyword arguments)
    and chain them, in a few statements whatever their number (flushes, never commits)."""
    now = utcnow()
    entries = [
        AuditEntry(
            at=now,
            user_id=access["user_id"],
            action=access["action"],
            record_type=access["record_type"],
            record_id=None if access["record_id"] is None else str(access["record_id"]),
            purpose=access.get("purpose"),
            details=access.get("details"),
        )
        for access in accesses
    ]
    if not entries:
        return []
    session.add_all(entries)
    session.flush()
    record_audit(session, entries)
    return entries
