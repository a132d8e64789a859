"""The counter pages' donation without a seller and the correction form on an entry's page."""

from __future__ import annotations

from sqlalchemy import select

from register.purchases.models import Correction, Purchase
from tests.factories import PASSWORD

from .helpers import IMEI_1, IMEI_2, phone, purchase, register


def log_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_thrift_shop_registers_a_donation_without_a_seller(client, make, session):
    shop = make.dealer(kind="thrift", name="Kringloop")
    log_in(client, make.user("dealer", dealer=shop))
    response = client.post(
        "/purchases/new",
        data={
            "acquired_at": "2026-11-27T09:30",
            "acquisition_type": "donation",
            "seller.address.country": "NL",  # prefilled by the form
            "seller.id_document.issuing_country": "NL",
            "items.0.category": "bicycle",
            "items.0.brand": "Gazelle",
            "items.0.frame_number": "GZ123456",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    purchase = session.scalars(select(Purchase)).one()
    assert purchase.acquisition_type == "donation" and purchase.seller is None


def _registered(api, session, user) -> Purchase:
    body = register(api, user, purchase(items=[phone(IMEI_1)]))
    return session.get(Purchase, body["id"])


def test_a_correction_on_the_entry_page_is_recorded_and_the_original_kept(
    client, api, make, session
):
    user = make.user("dealer")
    entry = _registered(api, session, user)
    log_in(client, user)
    page = client.get(f"/purchases/{entry.id}").get_data(as_text=True)
    assert "Deze inschrijving corrigeren" in page and f'value="{IMEI_1}"' in page
    form = {
        "reason": "IMEI verkeerd overgetikt",
        "acquired_at": "2026-11-27T09:15",
        "items.0.category": "phone",
        "items.0.brand": "Apple",
        "items.0.model": "iPhone 13",
        "items.0.imei": IMEI_2,
        "items.0.description": "black, cracked screen",
        "items.0.price": "250,00",
    }
    seller = entry.seller
    form.update(
        {
            "seller.name": seller.name,
            "seller.birth_date": seller.birth_date.isoformat(),
            "seller.address.street": seller.street,
            "seller.address.house_number": seller.house_number,
            "seller.address.postcode": seller.postcode,
            "seller.address.city": seller.city,
            "seller.address.country": seller.country,
            "seller.id_document.type": seller.id_document_type,
            "seller.id_document.number": seller.id_document_number,
            "seller.id_document.issuing_country": seller.id_document_country,
        }
    )
    response = client.post(f"/purchases/{entry.id}/corrections", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    correction = session.scalars(select(Correction)).one()
    assert correction.reason == "IMEI verkeerd overgetikt"
    assert correction.changes == {"items": [{"id": entry.items[0].id, "imei": IMEI_2}]}
    assert entry.items[0].imei == IMEI_1  # the entry as registered is never changed


def test_a_correction_without_a_reason_keeps_what_was_typed_and_names_the_field(
    client, api, make, session
):
    user = make.user("dealer")
    entry = _registered(api, session, user)
    log_in(client, user)
    response = client.post(
        f"/purchases/{entry.id}/corrections",
        data={"reason": "", "acquired_at": "2026-11-27T09:30", "items.0.category": "phone",
              "items.0.imei": IMEI_2, "items.0.price": "twee"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Fout: " in html
    assert 'href="#f-reason"' in html and 'href="#f-items-0-price"' in html
    assert f'value="{IMEI_2}"' in html and 'value="twee"' in html
    assert session.scalars(select(Correction)).first() is None
