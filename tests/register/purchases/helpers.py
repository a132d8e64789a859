"""Registration payloads and shortcuts for the DOR tests."""

from __future__ import annotations

import copy

# Valid IMEIs (Luhn check digit correct).
IMEI_1 = "490154203237518"
IMEI_2 = "356938035643809"
IMEI_3 = "352099001761481"
BAD_LUHN_IMEI = "490154203237519"

SELLER = {
    "name": "Jan de Vries",
    "birth_date": "1990-04-01",
    "address": {
        "street": "Kerkstraat",
        "house_number": "12a",
        "postcode": "1017 GC",
        "city": "Amsterdam",
        "country": "NL",
    },
    "id_document": {"type": "id_card", "number": "IXF123456", "issuing_country": "NL"},
}


def phone(imei: str = IMEI_1, **overrides) -> dict:
    item = {
        "category": "phone",
        "brand": "Apple",
        "model": "iPhone 13",
        "imei": imei,
        "description": "black, cracked screen",
        "price_cents": 25000,
    }
    item.update(overrides)
    return item


def bicycle(frame: str = "WBK123456X", **overrides) -> dict:
    item = {
        "category": "bicycle",
        "brand": "Gazelle",
        "model": "Orange C7",
        "frame_number": frame,
        "price_cents": 12000,
    }
    item.update(overrides)
    return item


def purchase(acquired_at: str = "2026-11-27T09:15:00+01:00", items=None, **overrides) -> dict:
    """A valid registration (acquired on Friday 27 November 2026, the fake clock's day)."""
    body = {
        "acquired_at": acquired_at,
        "acquisition_type": "purchase",
        "seller": copy.deepcopy(SELLER),
        "items": items if items is not None else [phone()],
    }
    body.update(overrides)
    return body


def register(api, dealer_user, body=None):
    response = api.post("/api/v1/purchases", body or purchase(), as_=dealer_user)
    assert response.status_code == 201, response.json
    return response.json


def stolen_report(
    session, *, imei=None, serial_number=None, frame_number=None, number="PL-1", brand=None
):
    """An active stolen report, recorded through Stop Heling's own service."""
    from register.clock import utcnow
    from stolen_db.service import report_theft

    category = "bicycle" if frame_number else "phone"
    result = report_theft(
        session,
        {
            "report_number": number,
            "reported_at": utcnow(),
            "category": category,
            "brand": brand or ("Gazelle" if frame_number else "Apple"),
            "imei": imei,
            "serial_number": serial_number,
            "frame_number": frame_number,
            "description": "stolen from a house in Amsterdam-Oost, victim J. Jansen",
        },
        now=utcnow(),
    )
    session.commit()
    return result.report
