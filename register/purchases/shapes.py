"""Plain-dict shapes of register records, shared by corrections and the police payload."""

from __future__ import annotations


def seller_shape(seller) -> dict:
    return {
        "name": seller.name,
        "birth_date": seller.birth_date.isoformat() if seller.birth_date else None,
        "address": {
            "street": seller.street,
            "house_number": seller.house_number,
            "postcode": seller.postcode,
            "city": seller.city,
            "country": seller.country,
        },
        "id_document": {
            "type": seller.id_document_type,
            "number": seller.id_document_number,
            "issuing_country": seller.id_document_country,
        },
    }
