"""Register rows made directly with the models (the DOR service is built elsewhere)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from register.clock import AMSTERDAM
from register.purchases.models import Item, Purchase
from stolen_db.normalize import normalize_imei, normalize_serial

_seq = itertools.count(1)


def make_purchase(
    session,
    dealer,
    *,
    recorded_at: datetime,
    acquisition_date: date | None = None,
    late: bool = False,
    items: list[dict] | None = None,
    hold_days: int = 7,
) -> Purchase:
    """One register entry with its items (default: one phone); committed."""
    acquisition_date = acquisition_date or recorded_at.astimezone(AMSTERDAM).date()
    dealer.last_sequence_number = (dealer.last_sequence_number or 0) + 1
    purchase = Purchase(
        dealer_id=dealer.id,
        sequence_number=dealer.last_sequence_number,
        chain_position=dealer.last_sequence_number,  # these dealers have no corrections/sales
        acquired_at=recorded_at,
        acquisition_date=acquisition_date,
        acquisition_type="purchase",
        recorded_at=recorded_at,
        late=late,
        registration_deadline=acquisition_date + timedelta(days=1),
        entry_hash=f"{next(_seq):064x}",
    )
    session.add(purchase)
    session.flush()
    for position, spec in enumerate(items or [{"category": "phone"}]):
        imei = spec.get("imei")
        serial = spec.get("serial_number")
        frame = spec.get("frame_number")
        session.add(
            Item(
                purchase_id=purchase.id,
                dealer_id=dealer.id,
                position=position,
                category=spec.get("category", "phone"),
                brand=spec.get("brand"),
                model=spec.get("model"),
                imei=imei,
                imei_norm=normalize_imei(imei) if imei else None,
                serial_number=serial,
                serial_norm=normalize_serial(serial) if serial else None,
                frame_number=frame,
                frame_norm=normalize_serial(frame) if frame else None,
                status=spec.get("status", "holding"),
                hold_until=spec.get("hold_until", acquisition_date + timedelta(days=hold_days)),
                created_at=recorded_at,
            )
        )
    session.commit()
    return purchase


def make_hit(session, purchase, *, now: datetime):
    """A stolen report matching the purchase's first item, recorded as a hit through the
    hits service (task, police hold and outbox event included); committed."""
    from register.hits.service import record_hits
    from stolen_db.matching import Match
    from stolen_db.models import StolenReport

    item = purchase.items[0]
    report = StolenReport(
        report_number=f"PL-{next(_seq)}",
        reported_at=now,
        category=item.category,
        imei=item.imei,
        imei_norm=item.imei_norm,
        status="active",
        created_at=now,
    )
    session.add(report)
    session.flush()
    (hit,) = record_hits(
        session,
        [(item, Match(report.id, report.report_number, "exact", "imei", 1.0))],
        trigger="registration",
        now=now,
    )
    session.commit()
    return hit


BUSINESS = {
    "name": "Telefoonwinkel Centrum",
    "kvk_number": "87654321",
    "address": {
        "street": "Damrak",
        "house_number": "1",
        "postcode": "1012 LG",
        "city": "Amsterdam",
    },
    "contact": {"name": "Fatima el Amrani", "phone": "020-1234567", "email": "f@example.nl"},
    "goods_categories": ["phone", "laptop"],
}


def report_body(report_type: str, effective_date: date, **business) -> dict:
    return {
        "type": report_type,
        "effective_date": effective_date.isoformat(),
        "business": {**BUSINESS, **business},
    }
