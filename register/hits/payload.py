"""The ``hit.created`` webhook payload: what the police need to act (API.md)."""

from __future__ import annotations

from datetime import datetime

from ..purchases.shapes import seller_shape
from .models import Hit


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def hit_event_payload(hit: Hit, *, now: datetime) -> dict:
    item = hit.item
    purchase = item.purchase
    dealer = purchase.dealer
    seller = purchase.seller
    return {
        "type": "hit.created",
        "timestamp": now.isoformat(),
        "data": {
            "hit_id": hit.id,
            "trigger": hit.trigger,
            "match": {
                "kind": hit.match_kind,
                "identifier_type": hit.identifier_type,
                "confidence": hit.confidence,
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
                "status": item.status,
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
                "id": hit.stolen_report_id,
                "report_number": hit.stolen_report.report_number,
            },
        },
    }
