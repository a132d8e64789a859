"""Stolen reports: the police report a theft or withdraw a report. Flushes, never commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .categories import CATEGORIES
from .key_tables import insert_key_rows
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
# Retroactive matching of new reports against registered goods (``init_app``): how many hits.
RegisteredMatcher = Callable[[Session, Sequence, datetime], int]

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
    hits = find_registered_matches(session, [report], now) if find_registered_matches else 0
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


class ReportRef(NamedTuple):
    """A stored report's identity and identifiers, without an ORM object (bulk paths)."""

    id: int
    report_number: str
    brand: str | None
    imei: str | None
    serial_number: str | None
    frame_number: str | None
    status: str = ReportStatus.ACTIVE.value
    # Its look-alike and near keys (``report_keys``), as stored: the keys that find its
    # look-alike and near matches among registered goods too.
    keys: frozenset[int] = frozenset()

    @property
    def is_active(self) -> bool:
        return self.status == ReportStatus.ACTIVE


def insert_reports(session: Session, rows: Sequence[Mapping]) -> list[ReportRef]:
    """Insert stored-form rows (``report_row``) with their keys, in a few statements."""
    if not rows:
        return []
    ids = session.scalars(
        insert(StolenReport).returning(StolenReport.id, sort_by_parameter_order=True), rows
    ).all()
    refs = [
        ReportRef(
            report_id,
            row["report_number"],
            row["brand"],
            row["imei"],
            row["serial_number"],
            row["frame_number"],
            keys=frozenset(report_keys(row)),
        )
        for report_id, row in zip(ids, rows, strict=True)
    ]
    # In key order: one walk over the largest index Stop Heling has, not one seek per key.
    insert_key_rows(session, "stolen_report_keys",
                    sorted((key, ref.id) for ref in refs for key in ref.keys))  # fmt: skip
    return refs


@dataclass(frozen=True)
class TheftsReported:
    """What ``report_thefts`` did: the stored reports and, by input position, the refused."""

    reports: list[ReportRef]
    stored_positions: list[int]
    refused: dict[int, dict[str, list[str]]]
    duplicates: list[int]
    retroactive_hits: int


def report_thefts(
    session: Session,
    reports: Sequence[Mapping],
    *,
    now: datetime,
    find_registered_matches: RegisteredMatcher | None = None,
) -> TheftsReported:
    """``report_theft`` for many reports at once (the police's CSV import): the same rules,
    the same keys and the same retroactive hits, in a few statements per batch.

    A report that breaks a rule is refused with its messages, one whose number exists (in
    the database or earlier in ``reports``) is a duplicate; the others are stored.
    """
    refused: dict[int, dict[str, list[str]]] = {}
    duplicates: list[int] = []
    accepted: list[tuple[int, dict]] = []
    seen: set[str] = set()
    for position, data in enumerate(reports):
        errors = check_report(data)
        if errors:
            refused[position] = errors
            continue
        row = report_row(data, now)
        if row["report_number"] in seen:
            duplicates.append(position)
            continue
        seen.add(row["report_number"])
        accepted.append((position, row))
    numbers = [row["report_number"] for _, row in accepted]
    existing: set[str] = set()
    for start in range(0, len(numbers), 500):
        existing.update(
            session.scalars(
                select(StolenReport.report_number).where(
                    StolenReport.report_number.in_(numbers[start : start + 500])
                )
            )
        )
    if existing:
        duplicates += [p for p, row in accepted if row["report_number"] in existing]
        accepted = [(p, row) for p, row in accepted if row["report_number"] not in existing]
    stored = insert_reports(session, [row for _, row in accepted])
    session.flush()
    hits = (
        find_registered_matches(session, stored, now) if find_registered_matches and stored else 0
    )
    log.info("%s thefts reported at once, %s retroactive hits", len(stored), hits)
    return TheftsReported(stored, [p for p, _ in accepted], refused, sorted(duplicates), hits)


def add_reports_bulk(session: Session, reports: Iterable[Mapping], *, now: datetime) -> int:
    """Insert many valid reports at once (synthetic data): no checks, no retroactive matching.

    For generated data sets only; real reports go through ``report_theft(s)``.
    """
    return len(insert_reports(session, [report_row(data, now) for data in reports]))
