"""Matching register items against active stolen reports.

This is the interface the register uses. Tiers, strongest first: ``exact`` (the identifier
as typed equals the report's), ``normalized`` (equal after normalisation), ``lookalike``
(equal after folding look-alike characters), ``near`` (one edit apart, same brand).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import StolenReport
from .normalize import normalize

MATCH_KINDS = ("exact", "normalized", "lookalike", "near")


@dataclass(frozen=True)
class Identifiers:
    """The identifiers of one good, as typed, with its brand."""

    imei: str | None = None
    serial_number: str | None = None
    frame_number: str | None = None
    brand: str | None = None

    def typed(self) -> list[tuple[str, str]]:
        """(identifier_type, value) for every identifier that was given."""
        return [
            (kind, value)
            for kind, value in (
                ("imei", self.imei),
                ("serial_number", self.serial_number),
                ("frame_number", self.frame_number),
            )
            if value
        ]


@dataclass(frozen=True)
class Match:
    """Why an item matches a stolen report: the explained result of matching."""

    report_id: int
    report_number: str
    kind: str  # one of MATCH_KINDS
    identifier_type: str  # imei | serial_number | frame_number
    confidence: float


_NORM_COLUMN = {
    "imei": StolenReport.imei_norm,
    "serial_number": StolenReport.serial_norm,
    "frame_number": StolenReport.frame_norm,
}


def find_matches(session: Session, identifiers: Identifiers) -> list[Match]:
    """Every active stolen report that ``identifiers`` match, strongest match per report."""
    # Foundation version: exact and normalised tiers. The Stop Heling issue adds the others.
    matches: dict[int, Match] = {}
    for kind, typed in identifiers.typed():
        norm = normalize(kind, typed)
        if not norm:
            continue
        rows = session.scalars(
            select(StolenReport).where(_NORM_COLUMN[kind] == norm, StolenReport.status == "active")
        )
        for report in rows:
            exact = getattr(report, kind) == typed
            match = Match(
                report_id=report.id,
                report_number=report.report_number,
                kind="exact" if exact else "normalized",
                identifier_type=kind,
                confidence=1.0 if exact else 0.98,
            )
            if report.id not in matches or match.confidence > matches[report.id].confidence:
                matches[report.id] = match
    return list(matches.values())
