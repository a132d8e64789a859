"""Demo register entries, made through the service as a dealer would make them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ..clock import AMSTERDAM
from .corrections import correct_purchase
from .models import Purchase
from .service import register_purchase, sell_item

FALLBACK_STOLEN_IMEI = "356938035643809"


def _stolen_imei() -> str:
    try:
        from stolen_db.demo import DEMO_STOLEN_IMEI
    except ImportError:  # the Stop Heling demo data is not there: no hit, still a valid IMEI
        return FALLBACK_STOLEN_IMEI
    return DEMO_STOLEN_IMEI


def _seller(name: str, birth: str, street: str, number: str, postcode: str, document: str):
    return {
        "name": name,
        "birth_date": birth,
        "address": {
            "street": street,
            "house_number": number,
            "postcode": postcode,
            "city": "Amsterdam",
            "country": "NL",
        },
        "id_document": {"type": "id_card", "number": document, "issuing_country": "NL"},
    }


def seed(session: Session, *, now, context: dict) -> None:
    """A few purchases for the demo dealers: held, available, sold, corrected, late, a hit."""
    dealers = context["dealers"]
    shop = dealers["fietsenhandel"]
    thrift = dealers["kringloop"]

    def at(days_ago: int) -> str:
        """Two hours before the moment ``days_ago`` days back, in Dutch time."""
        return (now - timedelta(days=days_ago, hours=2)).astimezone(AMSTERDAM).isoformat()

    jan = _seller("Jan de Vries", "1990-04-01", "Kerkstraat", "12a", "1017 GC", "IXF123456")
    fatima = _seller("Fatima el Amrani", "1985-09-12", "Javastraat", "88", "1094 HJ", "NX7K2L9P1")
    entry = register_purchase(
        session,
        shop,
        {
            "acquired_at": at(20),
            "seller": jan,
            "items": [
                {"category": "bicycle", "brand": "Gazelle", "model": "Orange C7",
                 "frame_number": "GZ1234567", "price_cents": 15000,
                 "description": "blauw, kinderzitje"},
                {"category": "phone", "brand": "Samsung", "model": "Galaxy S21",
                 "imei": "490154203237518", "price_cents": 18000},
            ],
        },
        now=now - timedelta(days=20),
    )  # fmt: skip
    old = session.get(Purchase, entry.id)
    sell_item(
        session,
        old.items[0],
        {"sold_at": (now - timedelta(days=2)).isoformat(), "price_cents": 22500},
        now=now - timedelta(days=2),
    )
    correct_purchase(
        session,
        old,
        {
            "reason": "omschrijving onvolledig",
            "changes": {"items": [{"id": old.items[1].id, "description": "zwart, 128 GB"}]},
        },
        now=now - timedelta(days=19),
    )
    register_purchase(
        session,
        shop,
        {
            "acquired_at": at(1),
            "seller": fatima,
            "items": [
                {"category": "phone", "brand": "Apple", "model": "iPhone 13",
                 "imei": _stolen_imei(), "price_cents": 25000,
                 "description": "zwart, barst in het scherm"},
                {"category": "laptop", "brand": "Lenovo", "model": "ThinkPad T14",
                 "serial_number": "PF-2X8KQ1", "price_cents": 30000},
            ],
        },
        now=now,
    )  # fmt: skip
    register_purchase(  # registered four days after the acquisition: late
        session,
        shop,
        {
            "acquired_at": at(8),
            "seller": jan,
            "items": [{"category": "watch", "brand": "Seiko", "model": "5", "price_cents": 4000,
                       "description": "stalen band, gegraveerd 'voor Anna'"}],
        },
        now=now - timedelta(days=4),
    )  # fmt: skip
    register_purchase(
        session,
        thrift,
        {
            "acquired_at": at(0),
            "acquisition_type": "donation",
            "items": [
                {"category": "bicycle", "brand": "Batavus", "frame_number": "BA-778812",
                 "description": "rode damesfiets"},
                {"category": "tablet", "brand": "Apple", "model": "iPad",
                 "serial_number": "DMPQ2LL/A-77"},
            ],
        },
        now=now,
    )  # fmt: skip
