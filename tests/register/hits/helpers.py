"""Registered items for hit tests, made the way the DOR registers them.

The DOR service (another area) fills the normalised columns with ``stolen_db.normalize`` and
calls ``check_items`` for the new items after flushing it; these helpers do the same with
the smallest valid purchase around the item.
"""

from __future__ import annotations

from register.hits.service import check_items
from register.purchases.models import Item, Purchase
from stolen_db.normalize import normalize_frame, normalize_imei, normalize_serial


def register_item(
    session,
    clock,
    *,
    dealer,
    category: str = "phone",
    brand: str | None = None,
    model: str | None = None,
    imei: str | None = None,
    serial_number: str | None = None,
    frame_number: str | None = None,
    status: str = "holding",
    registered_at=None,
    check: bool = True,
) -> Item:
    """A committed item in a purchase of ``dealer``, checked as at registration."""
    now = registered_at or clock.now()
    dealer.last_sequence_number = (dealer.last_sequence_number or 0) + 1
    purchase = Purchase(
        dealer_id=dealer.id,
        sequence_number=dealer.last_sequence_number,
        chain_position=dealer.last_sequence_number,  # no corrections or sales in these tests
        acquired_at=now,
        acquisition_date=now.date(),
        acquisition_type="purchase",
        recorded_at=now,
        registration_deadline=now.date(),
        entry_hash="0" * 64,
    )
    session.add(purchase)
    session.flush()
    item = Item(
        purchase_id=purchase.id,
        dealer_id=dealer.id,
        position=0,
        category=category,
        brand=brand,
        model=model,
        description="test item",
        price_cents=10000,
        imei=imei,
        imei_norm=normalize_imei(imei) or None,
        serial_number=serial_number,
        serial_norm=normalize_serial(serial_number) or None,
        frame_number=frame_number,
        frame_norm=normalize_frame(frame_number) or None,
        status=status,
        hold_until=now.date(),
        created_at=now,
    )
    session.add(item)
    session.flush()
    if check:
        check_items(session, [item], now=now)
    session.commit()
    return item
