"""What the register shows: response schemas and the views of entries they dump.

An item's status is shown as of today: an item whose holding period has ended is
``available`` even before anything writes that down. A dealer sees that an item is on police
hold, never why: no theft report, no victim.
"""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields

from ..clock import AMSTERDAM, aware
from .corrections import ITEM_CORRECTABLE, current_shape
from .holding import first_sale_day
from .models import Item, Purchase, effective_status
from .shapes import seller_shape


class AddressOut(Schema):
    street = fields.String(allow_none=True)
    house_number = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)


class IdDocumentOut(Schema):
    type = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    issuing_country = fields.String(allow_none=True)


class SellerOut(Schema):
    name = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)
    address = fields.Nested(AddressOut, allow_none=True)
    id_document = fields.Nested(IdDocumentOut, allow_none=True)
    purged = fields.Boolean(
        metadata={"description": "the personal data was removed after the retention period"}
    )
    purged_at = fields.DateTime(allow_none=True)


class SaleOut(Schema):
    id = fields.Integer()
    sold_at = fields.DateTime()
    price_cents = fields.Integer(allow_none=True)
    buyer = fields.Dict(allow_none=True)
    buyer_purged = fields.Boolean()
    recorded_at = fields.DateTime()
    entry_hash = fields.String()


class ItemOut(Schema):
    id = fields.Integer()
    purchase_id = fields.Integer()
    position = fields.Integer()
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    price_cents = fields.Integer(allow_none=True)
    imei = fields.String(allow_none=True, metadata={"description": "as typed"})
    serial_number = fields.String(allow_none=True)
    frame_number = fields.String(allow_none=True)
    identifiers_normalized = fields.Dict(
        metadata={"description": "imei, serial_number and frame_number as matching uses them"}
    )
    status = fields.String(
        metadata={"description": "holding | available | sold | police_hold | seized | released"}
    )
    hold_until = fields.Date(metadata={"description": "last day of the holding period"})
    sellable_from = fields.Date(allow_none=True)
    sale = fields.Nested(SaleOut, allow_none=True)


class CorrectionOut(Schema):
    id = fields.Integer()
    purchase_id = fields.Integer()
    reason = fields.String()
    changes = fields.Dict()
    previous = fields.Dict(metadata={"description": "the values the changes replace"})
    recorded_at = fields.DateTime()
    recorded_by_id = fields.Integer(allow_none=True)
    entry_hash = fields.String()


class PurchaseOut(Schema):
    id = fields.Integer()
    dealer_id = fields.Integer()
    sequence_number = fields.Integer(metadata={"description": "per dealer, gapless"})
    acquired_at = fields.DateTime()
    acquisition_date = fields.Date()
    acquisition_type = fields.String()
    recorded_at = fields.DateTime()
    registration_deadline = fields.Date()
    late = fields.Boolean(metadata={"description": "registered after the deadline"})
    seller = fields.Nested(SellerOut, allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    corrections = fields.List(fields.Nested(CorrectionOut))
    current = fields.Dict(
        metadata={"description": "the entry as it reads now, with every correction applied"}
    )
    entry_hash = fields.String()
    prev_hash = fields.String(allow_none=True)


class ItemHistoryOut(ItemOut):
    history = fields.List(fields.Dict())
    purchase_sequence_number = fields.Integer()


def local(value):
    return aware(value).astimezone(AMSTERDAM) if value is not None else None


def present_seller(seller) -> dict | None:
    if seller is None:
        return None
    if seller.purged_at is not None:
        return {"purged": True, "purged_at": local(seller.purged_at)}
    return {**seller_shape(seller), "purged": False, "purged_at": None}


def present_sale(sale) -> dict | None:
    if sale is None:
        return None
    return {
        "id": sale.id,
        "sold_at": local(sale.sold_at),
        "price_cents": sale.price_cents,
        "buyer": sale.buyer,
        "buyer_purged": sale.purged_at is not None,
        "recorded_at": local(sale.recorded_at),
        "entry_hash": sale.entry_hash,
    }


def present_item(item: Item, today: date) -> dict:
    status = effective_status(item, today)
    return {
        "id": item.id,
        "purchase_id": item.purchase_id,
        "position": item.position,
        "category": item.category,
        "brand": item.brand,
        "model": item.model,
        "description": item.description,
        "price_cents": item.price_cents,
        "imei": item.imei,
        "serial_number": item.serial_number,
        "frame_number": item.frame_number,
        "identifiers_normalized": {
            "imei": item.imei_norm,
            "serial_number": item.serial_norm,
            "frame_number": item.frame_norm,
        },
        "status": status,
        "hold_until": item.hold_until,
        "sellable_from": first_sale_day(item.hold_until)
        if status in ("holding", "available")
        else None,
        "sale": present_sale(item.sale),
    }


def present_correction(correction) -> dict:
    changes = dict(correction.changes)
    previous = dict(correction.previous)
    if correction.purged_at is not None:
        if correction.seller_data_hash:
            changes["seller"] = previous["seller"] = "removed after the retention period"
    elif correction.seller_changes is not None:
        changes["seller"] = correction.seller_changes
        previous["seller"] = correction.seller_previous
    return {
        "id": correction.id,
        "purchase_id": correction.purchase_id,
        "reason": correction.reason,
        "changes": changes,
        "previous": previous,
        "recorded_at": local(correction.recorded_at),
        "recorded_by_id": correction.recorded_by_id,
        "entry_hash": correction.entry_hash,
    }


def present_purchase(purchase: Purchase, today: date, *, with_seller: bool = True) -> dict:
    current = current_shape(purchase)
    if not with_seller:
        current.pop("seller", None)
    return {
        "id": purchase.id,
        "dealer_id": purchase.dealer_id,
        "sequence_number": purchase.sequence_number,
        "acquired_at": local(purchase.acquired_at),
        "acquisition_date": purchase.acquisition_date,
        "acquisition_type": purchase.acquisition_type,
        "recorded_at": local(purchase.recorded_at),
        "registration_deadline": purchase.registration_deadline,
        "late": purchase.late,
        "seller": present_seller(purchase.seller) if with_seller else None,
        "items": [present_item(item, today) for item in purchase.items],
        "corrections": [present_correction(c) for c in purchase.corrections],
        "current": current,
        "entry_hash": purchase.entry_hash,
        "prev_hash": purchase.prev_hash,
    }


def item_history(item: Item, today: date) -> list[dict]:
    """Everything that happened to the item, oldest first, as the register records it."""
    purchase = item.purchase
    events = [
        {
            "at": local(purchase.recorded_at).isoformat(),
            "event": "registered",
            "sequence_number": purchase.sequence_number,
            "values": {name: getattr(item, name) for name in ITEM_CORRECTABLE},
        }
    ]
    for correction in purchase.corrections:
        item_change = next(
            (c for c in correction.changes.get("items", []) if c["id"] == item.id), None
        )
        entry_change = {k: v for k, v in correction.changes.items() if k != "items"}
        if item_change is None and not entry_change and correction.seller_changes is None:
            continue
        previous = next(
            (c for c in correction.previous.get("items", []) if c["id"] == item.id), None
        )
        events.append(
            {
                "at": local(correction.recorded_at).isoformat(),
                "event": "corrected",
                "correction_id": correction.id,
                "reason": correction.reason,
                "changes": {k: v for k, v in (item_change or {}).items() if k != "id"}
                | entry_change,
                "previous": {k: v for k, v in (previous or {}).items() if k != "id"},
                "seller_corrected": correction.seller_changes is not None
                or correction.seller_data_hash is not None,
            }
        )
    if item.sale is not None:
        events.append(
            {
                "at": local(item.sale.recorded_at).isoformat(),
                "event": "sold",
                "sold_at": local(item.sale.sold_at).isoformat(),
                "price_cents": item.sale.price_cents,
            }
        )
    return events


def present_item_history(item: Item, today: date) -> dict:
    return {
        **present_item(item, today),
        "purchase_sequence_number": item.purchase.sequence_number,
        "history": item_history(item, today),
    }
