"""The ``hit.created`` webhook payload: what the police need to act (API.md)."""

from __future__ import annotations

from datetime import datetime

from stolen_db.matching import Match

from ..purchases.models import Item
from ..purchases.shapes import seller_shape


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def hit_event_payload(
    *, hit_id: int, trigger: str, match: Match, item: Item, item_status: str, now: datetime
) -> dict:
    """The payload of the hit of ``item`` on ``match``'s report; ``item.purchase`` with its
    dealer (and municipality) and seller loaded."""
    purchase = item.purchase
    dealer = purchase.dealer
    seller = purchase.seller
    return {
        "type": "hit.created",
        "timestamp": now.isoformat(),
        "data": {
            "hit_id": hit_id,
            "trigger": trigger,
            "match": {
                "kind": match.kind,
                "identifier_type": match.identifier_type,
                "confidence": match.confidence,
            },
            "item": {
                "id": item.id,
                "category": item.category,
                "brand": item.brand,
                "model": item.model,
                "description": item.description,
                "imei": item.imei,
                "serial_number": item.serial_number,
                "frame_number": item.frame_number,
                "price_cents": item.price_cents,
                "status": item_status,
            },
            "purchase": {
                "id": purchase.id,
                "sequence_number": purchase.sequence_number,
                "acquired_at": _iso(purchase.acquired_at),
                "acquisition_type": purchase.acquisition_type,
                "recorded_at": _iso(purchase.recorded_at),
            },
            "dealer": {
                "id": dealer.id,
                "name": dealer.name,
                "kvk_number": dealer.kvk_number,
                "municipality": dealer.municipality.code,
                "address": {
                    "street": dealer.street,
                    "house_number": dealer.house_number,
                    "postcode": dealer.postcode,
                    "city": dealer.city,
                    "country": dealer.country,
                },
            },
            "seller": None if seller is None else seller_shape(seller),
            "stolen_report": {
                "id": match.report_id,
                "report_number": match.report_number,
            },
        },
    }
