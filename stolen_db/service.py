"""Stolen reports: the police report a theft or withdraw a report. Flushes, never commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .categories import CATEGORIES
from .keys import identifier_keys
from .models import ReportStatus, StolenReport, StolenReportKey, transition_report
from .normalize import (
    IDENTIFIER_TYPES,
    is_valid_imei,
    normalize,
    normalize_brand,
    normalize_imei,
)

log = logging.getLogger(__name__)

# (session, report, now) -> number of registered goods the new report matched (hits made).
RegisteredMatcher = Callable[[Session, StolenReport, datetime], int]

_TEXT_FIELDS = ("report_number", "category", "brand", "model", "description", *IDENTIFIER_TYPES)


def N_(message: str) -> str:
    """Marks a message for translation; the API answers in English, the web page translates."""
    return message


class ReportRefused(ValueError):
    """The report breaks a rule; ``errors`` names each field with its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class DuplicateReport(ValueError):
    """A report with this report number exists already."""


@dataclass(frozen=True)
class TheftReported:
    report: StolenReport
    retroactive_hits: int


def utc(value: datetime) -> datetime:
    """Stored in UTC: SQLite keeps no offset, so a local time would be stored as if UTC."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def aware(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database (SQLite's are naive), as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _clean(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def check_report(data: Mapping) -> dict[str, list[str]]:
    """The rules of a theft report's content, as field messages (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    given = [t for t in IDENTIFIER_TYPES if _clean(data.get(t))]
    if not given:
        message = N_("Give at least one of imei, serial_number, frame_number.")
        return {t: [message] for t in IDENTIFIER_TYPES}
    imei = _clean(data.get("imei"))
    if imei is not None:
        digits = normalize_imei(imei)
        if len(digits) != 15:
            errors["imei"] = [N_("An IMEI has 15 digits.")]
        elif not is_valid_imei(digits):
            errors["imei"] = [N_("The check digit (the last digit) of this IMEI is wrong.")]
    for identifier_type in ("serial_number", "frame_number"):
        value = _clean(data.get(identifier_type))
        if value is not None and not normalize(identifier_type, value):
            errors[identifier_type] = [N_("This contains no letters or digits.")]
    category = data.get("category")
    if category is not None and category not in CATEGORIES:
        errors["category"] = [N_("Unknown category.")]
    return errors


def report_row(data: Mapping, now: datetime) -> dict:
    """The stored columns of a report: as typed, normalised, and its status."""
    row = {name: _clean(data.get(name)) for name in _TEXT_FIELDS}
    row.update(
        reported_at=utc(data["reported_at"]),
        brand_norm=normalize_brand(row["brand"]) or None,
        imei_norm=normalize("imei", row["imei"]) or None,
        serial_norm=normalize("serial_number", row["serial_number"]) or None,
        frame_norm=normalize("frame_number", row["frame_number"]) or None,
        status=ReportStatus.ACTIVE.value,
        created_at=utc(now),
    )
    return row


def report_keys(report: StolenReport | Mapping) -> set[int]:
    """The look-alike and near index keys of a report's identifiers."""
    get = report.get if isinstance(report, Mapping) else lambda name: getattr(report, name)
    keys: set[int] = set()
    for identifier_type in IDENTIFIER_TYPES:
        keys |= identifier_keys(identifier_type, get(identifier_type), get("brand"))
    return keys


def report_theft(
    session: Session,
    data: Mapping,
    *,
    now: datetime,
    find_registered_matches: RegisteredMatcher | None = None,
) -> TheftReported:
    """Record a theft and match it against registered goods at once (retroactive matching).

    ``data`` holds the report's fields (API.md); every match with a registered good becomes a
    hit in this same transaction, through ``find_registered_matches``.
    """
    errors = check_report(data)
    if errors:
        raise ReportRefused(errors)
    row = report_row(data, now)
    duplicate = session.scalar(
        select(StolenReport.id).where(StolenReport.report_number == row["report_number"])
    )
    if duplicate is not None:
        raise DuplicateReport(f"a report numbered {row['report_number']} exists already")
    report = StolenReport(**row)
    session.add(report)
    session.flush()
    session.add_all(StolenReportKey(key=key, report_id=report.id) for key in report_keys(report))
    session.flush()
    hits = find_registered_matches(session, report, now) if find_registered_matches else 0
    log.info(
        "theft reported: report %s, %s retroactive hits",
        report.id,
        hits,
        extra={"stolen_report_id": report.id},
    )
    return TheftReported(report, hits)


def withdraw(session: Session, report_id: int, *, now: datetime) -> StolenReport | None:
    """Withdraw a report (good recovered, or report wrong): it never matches again.

    None for an unknown report. Withdrawing a withdrawn report changes nothing.
    """
    report = session.get(StolenReport, report_id)
    if report is None:
        return None
    transition_report(report, ReportStatus.WITHDRAWN, now=now)
    session.flush()
    log.info("stolen report %s withdrawn", report.id, extra={"stolen_report_id": report.id})
    return report


def add_reports_bulk(session: Session, reports: Iterable[Mapping], *, now: datetime) -> int:
    """Insert many valid reports at once (synthetic data): no checks, no retroactive matching.

    For generated data sets only; real reports go through ``report_theft``.
    """
    rows = [report_row(data, now) for data in reports]
    if not rows:
        return 0
    ids = session.scalars(
        insert(StolenReport).returning(StolenReport.id, sort_by_parameter_order=True), rows
    ).all()
    keys = [
        {"key": key, "report_id": report_id}
        for report_id, row in zip(ids, rows, strict=True)
        for key in report_keys(row)
    ]
    if keys:
        session.execute(insert(StolenReportKey), keys)
    return len(rows)
