"""Alerts: patterns worth a look, found incrementally.

- ``frequent_seller`` and ``resold_identifier`` at registration (``detect_at_registration``):
  a few indexed lookups per batch of new entries (the sellers' document numbers, the items'
  normalised identifiers), never a scan of the register; ``resold_identifier`` again when a
  correction changes an identifier (``detect_resold``);
- ``low_price`` by the worker's job (``find_low_prices``): the median price of like goods
  (category, brand, model) over a window needs the wider look; one set-based statement
  compares the items registered since the job last looked with those medians.

One pattern makes one alert: an alert has the SHA-256 of its subject (the document number,
the identifier, the item), and a new entry of a pattern already alerted on within its
window joins that alert. Placeholders (no identifier) never make an alert. Thresholds and
windows are configuration (``register/config.py``, ``ALERT_*``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from stolen_db.normalize import is_placeholder, normalize_brand, normalize_serial

from ..clock import AMSTERDAM
from ..database import in_batches
from ..purchases.models import Item, Purchase, Seller
from .models import (
    ALERT_TRANSITIONS,
    Alert,
    AlertItem,
    AlertKind,
    AlertStatus,
    InvestigationWatermark,
)

LOW_PRICE_JOB = "low_price"
_IDENTIFIER_COLUMNS = {
    "imei": "imei_norm",
    "serial_number": "serial_norm",
    "frame_number": "frame_norm",
}


@dataclass(frozen=True)
class AlertSettings:
    frequent_seller_window_days: int = 30
    frequent_seller_items: int = 10
    frequent_seller_dealers: int = 2
    resold_window_days: int = 90
    resold_dealers: int = 2
    low_price_window_days: int = 365
    low_price_ratio: float = 0.25
    low_price_min_samples: int = 20
    low_price_batch: int = 1000

    @classmethod
    def from_config(cls, config) -> AlertSettings:
        return cls(
            frequent_seller_window_days=int(config["ALERT_FREQUENT_SELLER_WINDOW_DAYS"]),
            frequent_seller_items=int(config["ALERT_FREQUENT_SELLER_ITEMS"]),
            frequent_seller_dealers=int(config["ALERT_FREQUENT_SELLER_DEALERS"]),
            resold_window_days=int(config["ALERT_RESOLD_WINDOW_DAYS"]),
            resold_dealers=int(config["ALERT_RESOLD_DEALERS"]),
            low_price_window_days=int(config["ALERT_LOW_PRICE_WINDOW_DAYS"]),
            low_price_ratio=float(config["ALERT_LOW_PRICE_RATIO"]),
            low_price_min_samples=int(config["ALERT_LOW_PRICE_MIN_SAMPLES"]),
        )


def settings() -> AlertSettings:
    return AlertSettings.from_config(current_app.config)


def subject_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class IllegalAlertTransition(ValueError):
    """The alert's status does not allow the change asked for."""


def set_alert_status(
    session: Session, alert: Alert, status: str, note: str | None, *, user_id: int, now: datetime
) -> Alert:
    """The one place an alert's status changes (with the officer's note); refuses a change
    its status does not allow. Setting the status it has only updates the note."""
    new, current = AlertStatus(status), AlertStatus(alert.status)
    if new != current and new not in ALERT_TRANSITIONS[current]:
        raise IllegalAlertTransition(f"an alert that is {current} cannot become {new}")
    alert.status = new.value
    if note is not None:
        alert.note = note
    alert.status_changed_by_id = user_id
    alert.updated_at = now
    session.flush()
    return alert


def _alert_in_window(session: Session, kind: AlertKind, subject: str, since: datetime):
    """The newest alert on ``subject`` raised since ``since``, or None."""
    return session.scalar(
        select(Alert)
        .where(Alert.kind == kind.value, Alert.subject == subject, Alert.created_at >= since)
        .order_by(Alert.id.desc())
        .limit(1)
    )


def _raise_alert(
    session: Session,
    kind: AlertKind,
    subject: str,
    reason: dict,
    item_ids: Iterable[int],
    *,
    now: datetime,
    alert: Alert | None,
) -> Alert:
    """``alert`` (or a new one when None) with ``item_ids`` joined to it and its reason
    brought up to date; only the given ids' membership is read, so the cost does not grow
    with the alert."""
    item_ids = set(item_ids)
    if alert is None:
        alert = Alert(
            kind=kind.value, subject=subject, created_at=now, updated_at=now,
            status=AlertStatus.NEW.value, reason=reason,
        )  # fmt: skip
        session.add(alert)
        session.flush()
        known: set[int] = set()
    else:
        alert.reason = reason
        alert.updated_at = now
        known = set(
            session.scalars(
                select(AlertItem.item_id).where(
                    AlertItem.alert_id == alert.id, AlertItem.item_id.in_(sorted(item_ids))
                )
            )
        )
    session.add_all(
        AlertItem(alert_id=alert.id, item_id=item_id) for item_id in sorted(item_ids - known)
    )
    session.flush()
    return alert


def detect_at_registration(session: Session, purchases, *, now: datetime) -> list[Alert]:
    """The frequent-seller and resold-identifier alerts that new (flushed) entries make: a
    few indexed lookups per 500 document numbers and per 500 identifiers, whatever the
    number of entries (one at the counter or a chunk of a CSV file)."""
    config = settings()
    return _frequent_sellers(session, purchases, now=now, config=config) + detect_resold(
        session, purchases, now=now, config=config
    )


def _frequent_sellers(session, purchases, *, now, config) -> list[Alert]:
    """One aggregate per 500 sellers' document numbers (items per document and dealer in
    the window); a document that reaches a threshold makes or joins its alert."""
    window = timedelta(days=config.frequent_seller_window_days)
    since = (now.astimezone(AMSTERDAM) - window).date() + timedelta(days=1)
    new_items: dict[str, list[int]] = {}  # normalised document number -> the new items
    stored_as: dict[str, str] = {}  # a stored form of a document number -> its normalised one
    for purchase in purchases:
        typed = purchase.seller.id_document_number if purchase.seller is not None else None
        norm = normalize_serial(typed)
        if typed and not is_placeholder(norm):
            new_items.setdefault(norm, []).extend(item.id for item in purchase.items)
            for form in (typed, typed.strip().upper(), norm):
                stored_as[form] = norm
    per_dealer: dict[str, dict[int, int]] = {}  # normalised number -> dealer -> items
    for chunk in in_batches(sorted(stored_as)):
        for number, dealer_id, items in session.execute(
            _seller_items(chunk, since)
            .with_only_columns(Seller.id_document_number, Item.dealer_id, func.count(Item.id))
            .group_by(Seller.id_document_number, Item.dealer_id)
        ):
            dealers = per_dealer.setdefault(stored_as[number], {})
            dealers[dealer_id] = dealers.get(dealer_id, 0) + items
    raised = []
    for norm, dealers in per_dealer.items():
        items = sum(dealers.values())
        if items < config.frequent_seller_items and len(dealers) < config.frequent_seller_dealers:
            continue
        reason = {
            "items": items,
            "dealers": len(dealers),
            "window_days": config.frequent_seller_window_days,
            "since": since.isoformat(),
            "threshold_items": config.frequent_seller_items,
            "threshold_dealers": config.frequent_seller_dealers,
        }
        subject = subject_hash("document", norm)
        alert = _alert_in_window(session, AlertKind.FREQUENT_SELLER, subject, now - window)
        joined = new_items[norm]  # an alert raised in the window has the earlier items
        if alert is None:
            forms = sorted(form for form, of in stored_as.items() if of == norm)
            joined = session.scalars(_seller_items(forms, since)).all()
        raised.append(
            _raise_alert(
                session, AlertKind.FREQUENT_SELLER, subject, reason, joined, now=now, alert=alert
            )
        )
    return raised


def _seller_items(document_numbers: list[str], since):
    """The ids of the items sold in the window by sellers with these document numbers."""
    return (
        select(Item.id)
        .join(Purchase, Purchase.id == Item.purchase_id)
        .join(Seller, Seller.id == Purchase.seller_id)
        .where(
            Seller.id_document_number.in_(document_numbers),
            Seller.purged_at.is_(None),
            Purchase.acquisition_date >= since,
        )
    )


def detect_resold(
    session: Session, purchases, *, now: datetime, config: AlertSettings | None = None
) -> list[Alert]:
    """The resold-identifier alerts that these entries' items make with what they say now
    (also after a correction of an identifier): one indexed lookup per 500 identifiers of
    a kind."""
    config = config or settings()
    since = now - timedelta(days=config.resold_window_days)
    wanted: dict[str, dict[str, set[str]]] = {kind: {} for kind in _IDENTIFIER_COLUMNS}
    for purchase in purchases:
        for item in purchase.items:
            for identifier_type, column in _IDENTIFIER_COLUMNS.items():
                norm = getattr(item, column)
                if not is_placeholder(norm):
                    brand = normalize_brand(item.brand) if identifier_type == "frame_number" else ""
                    wanted[identifier_type].setdefault(norm, set()).add(brand)
    raised = []
    for identifier_type, brands_of in wanted.items():
        column = getattr(Item, _IDENTIFIER_COLUMNS[identifier_type])
        found: dict[str, list] = {}
        for chunk in in_batches(sorted(brands_of)):
            for row in session.execute(
                select(column.label("norm"), Item.id, Item.dealer_id, Item.brand).where(
                    column.in_(chunk), Item.created_at >= since
                )
            ):
                found.setdefault(row.norm, []).append(row)
        for norm, rows in found.items():
            for brand in sorted(brands_of[norm]):
                alert = _resold(session, identifier_type, norm, brand, rows, since=since, now=now,
                                config=config)  # fmt: skip
                if alert is not None:
                    raised.append(alert)
    return raised


def _resold(session, identifier_type, norm, brand, rows, *, since, now, config) -> Alert | None:
    """The alert that the registrations of one identifier in the window (``rows``) make."""
    if brand:  # frame numbers repeat between brands
        rows = [row for row in rows if normalize_brand(row.brand) in ("", brand)]
    dealers = {row.dealer_id for row in rows}
    if len(dealers) < config.resold_dealers:
        return None
    reason = {
        "identifier_type": identifier_type,
        "items": len(rows),
        "dealers": len(dealers),
        "window_days": config.resold_window_days,
        "threshold_dealers": config.resold_dealers,
    }
    subject = subject_hash(identifier_type, brand, norm)
    alert = _alert_in_window(session, AlertKind.RESOLD_IDENTIFIER, subject, since)
    return _raise_alert(
        session, AlertKind.RESOLD_IDENTIFIER, subject, reason, [row.id for row in rows],
        now=now, alert=alert,
    )  # fmt: skip


# The items registered since the job last looked, each beside the median price of like
# goods (same category, brand and model, case-blind) bought over the window; only groups
# with enough purchases have a median. Window functions: the same SQL on SQLite and
# PostgreSQL, and the rows come out streamed, so the job's memory does not grow with the
# register.
LOW_PRICE_SQL = """
WITH recent AS (
    SELECT i.category, lower(i.brand) AS brand, lower(i.model) AS model, i.price_cents
    FROM items i JOIN purchases p ON p.id = i.purchase_id
    WHERE p.recorded_at >= :since AND p.acquisition_type = 'purchase'
      AND i.price_cents IS NOT NULL AND i.brand IS NOT NULL AND i.model IS NOT NULL
), ranked AS (
    SELECT category, brand, model, price_cents,
           row_number() OVER (PARTITION BY category, brand, model ORDER BY price_cents) AS rn,
           count(*) OVER (PARTITION BY category, brand, model) AS n
    FROM recent
), medians AS (
    SELECT category, brand, model, avg(price_cents) AS median, max(n) AS samples
    FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
    GROUP BY category, brand, model HAVING max(n) >= :min_samples
)
SELECT i.id, i.price_cents, m.median, m.samples, i.category, i.brand, i.model
FROM items i
JOIN purchases p ON p.id = i.purchase_id AND p.acquisition_type = 'purchase'
JOIN medians m ON m.category = i.category AND m.brand = lower(i.brand)
              AND m.model = lower(i.model)
WHERE i.id > :after AND i.id <= :upto AND i.price_cents <= :ratio * m.median
ORDER BY i.id
"""


def find_low_prices(session: Session, *, now: datetime, config: AlertSettings | None = None) -> int:
    """The worker's job: a ``low_price`` alert for every item registered since the last run
    that was bought for at most ``ratio`` times the median of like goods. How many new.

    Each item is looked at once: the watermark moves past it in the same transaction, and its
    row is locked (PostgreSQL) so that two workers never run the job over the same items."""
    config = config or settings()
    mark = session.get(InvestigationWatermark, LOW_PRICE_JOB, with_for_update=True)
    if mark is None:
        mark = InvestigationWatermark(name=LOW_PRICE_JOB, last_item_id=0, updated_at=now)
        session.add(mark)
    upto = session.scalar(select(func.coalesce(func.max(Item.id), 0)))
    window = timedelta(days=config.low_price_window_days)
    params = {
        "since": now - window,
        "min_samples": config.low_price_min_samples,
        "after": mark.last_item_id,
        "upto": upto,
        "ratio": config.low_price_ratio,
    }
    raised = 0
    result = session.execute(
        text(LOW_PRICE_SQL)
        .bindparams(bindparam("since", type_=DateTime(timezone=True)))
        .execution_options(yield_per=config.low_price_batch),
        params,
    )
    for batch in result.partitions(config.low_price_batch):
        raised += _low_prices(session, batch, now=now, config=config)
    mark.last_item_id = upto
    mark.updated_at = now
    session.flush()
    return raised


def _low_prices(session: Session, rows, *, now: datetime, config: AlertSettings) -> int:
    """A ``low_price`` alert for each row, with one Core ``INSERT … RETURNING`` per table for
    the batch: the job may raise thousands of alerts on its first run over a year."""
    subjects = {subject_hash("item", str(row.id)): row for row in rows}
    if not subjects:
        return 0
    created = session.execute(
        insert(Alert).returning(Alert.id, Alert.subject),
        [
            {
                "kind": AlertKind.LOW_PRICE.value,
                "subject": subject,
                "created_at": now,
                "updated_at": now,
                "status": AlertStatus.NEW.value,
                "reason": _low_price_reason(row, config),
            }
            for subject, row in subjects.items()
        ],
    ).all()
    session.execute(
        insert(AlertItem),
        [{"alert_id": alert_id, "item_id": subjects[subject].id} for alert_id, subject in created],
    )
    return len(created)


def _low_price_reason(row, config: AlertSettings) -> dict:
    return {
        "price_cents": row.price_cents,
        "median_cents": round(float(row.median)),
        "samples": int(row.samples),
        "ratio": config.low_price_ratio,
        "window_days": config.low_price_window_days,
        "category": row.category,
        "brand": row.brand,
        "model": row.model,
    }
