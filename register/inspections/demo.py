"""DOC demo data: a queue for boa@demo.nl and a few logged inspections."""

from __future__ import annotations

from datetime import timedelta

from ..purchases.messages import Message
from .models import CHECKS
from .scheduling import DEFAULTS, schedule_inspections
from .service import log_inspection, open_task


def seed(session, *, now, context) -> None:
    dealers = context["dealers"]
    clean = dict.fromkeys(CHECKS, True)
    log_inspection(
        session,
        dealer=dealers["fietsenhandel"],
        now=now,
        inspected_at=now - timedelta(days=60),
        checks=clean,
        outcome="compliant",
        findings="Register volledig; bewaartermijn nageleefd.",
    )
    log_inspection(
        session,
        dealer=dealers["kringloop"],
        now=now,
        inspected_at=now - timedelta(days=12),
        checks={**clean, "entries_complete": False},
        outcome="warning",
        findings="Drie geschonken fietsen zonder framenummer ingeschreven.",
        follow_up_days=28,
    )
    log_inspection(
        session,
        dealer=dealers["goudsmid"],
        now=now,
        inspected_at=now - timedelta(days=5),
        checks={**clean, "register_kept": False, "stock_matches_register": False},
        outcome="official_report",
        findings="Geen register bijgehouden voor goud dat aan de balie is gekocht.",
    )
    open_task(
        session,
        dealer=dealers["fietsenhandel"],
        reason="routine",
        now=now - timedelta(days=3),
        dedupe_key="demo:routine:fietsenhandel",
        details=Message("routine visit"),
    )
    schedule_inspections(session, now, DEFAULTS)
    session.flush()
