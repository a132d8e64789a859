"""The counter pages, through the test client: form, confirmation, register, item, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from register.purchases.models import Purchase
from tests.factories import PASSWORD

from .helpers import BAD_LUHN_IMEI, IMEI_1, IMEI_2, register


def log_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


FORM = {
    "acquired_at": "2026-11-27T09:30",
    "acquisition_type": "purchase",
    "seller.name": "Jan de Vries",
    "seller.birth_date": "1990-04-01",
    "seller.address.street": "Kerkstraat",
    "seller.address.house_number": "12a",
    "seller.address.postcode": "1017 GC",
    "seller.address.city": "Amsterdam",
    "seller.address.country": "NL",
    "seller.id_document.type": "passport",
    "seller.id_document.number": "NW1234567",
    "seller.id_document.issuing_country": "NL",
    "items.0.category": "phone",
    "items.0.brand": "Apple",
    "items.0.model": "iPhone 13",
    "items.0.imei": IMEI_1,
    "items.0.price": "250,00",
    "items.1.category": "bicycle",
    "items.1.brand": "Gazelle",
    "items.1.frame_number": "WBK123",
    "items.1.price": "120",
    "items.2.category": "",
}


@pytest.fixture
def dealer_user(make, client):
    user = make.user("dealer")
    log_in(client, user)
    return user


def test_the_counter_form_registers_a_purchase_and_confirms_its_number(
    client, dealer_user, session
):
    page = client.get("/purchases/new")
    assert page.status_code == 200 and 'name="items.0.imei"' in page.get_data(as_text=True)
    response = client.post("/purchases/new", data=FORM)
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Registernummer" in confirmation or "Register entry number" in confirmation
    assert '<strong class="sequence-number">1</strong>' in confirmation
    purchase = session.scalar(select(Purchase))
    assert [i.price_cents for i in purchase.items] == [25000, 12000]


def test_an_invalid_imei_is_shown_next_to_its_field_and_the_input_is_kept(
    client, dealer_user, session
):
    response = client.post("/purchases/new", data={**FORM, "items.0.imei": BAD_LUHN_IMEI})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-items-0-imei-error"' in html
    assert "controlecijfer" in html  # Dutch by default
    assert f'value="{BAD_LUHN_IMEI}"' in html
    assert 'value="Jan de Vries"' in html and 'value="WBK123"' in html and 'value="250,00"' in html
    assert session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_an_unreadable_price_is_an_error_at_the_price(client, dealer_user, session):
    response = client.post("/purchases/new", data={**FORM, "items.1.price": "twintig"})
    assert response.status_code == 422
    assert 'id="f-items-1-price-error"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_an_inactive_dealer_sees_why_it_cannot_register(client, make):
    user = make.user("dealer", dealer=make.dealer(active=False))
    log_in(client, user)
    response = client.post("/purchases/new", data=FORM)
    assert response.status_code == 403
    assert "DOR" in response.get_data(as_text=True)


def test_the_register_lists_and_searches(client, dealer_user, api):
    register(api, dealer_user)
    html = client.get("/purchases").get_data(as_text=True)
    assert "Jan de Vries" in html
    assert "Jan de Vries" in client.get(f"/purchases?identifier={IMEI_1}").get_data(as_text=True)
    assert "Jan de Vries" not in client.get(f"/purchases?identifier={IMEI_2}").get_data(
        as_text=True
    )
    assert client.get("/purchases?from=nonsense&status=sold").status_code == 200


def test_the_item_page_shows_history_and_registers_a_sale(client, dealer_user, api, clock):
    body = register(api, dealer_user)
    item_id = body["items"][0]["id"]
    refused = client.post(f"/items/{item_id}", data={"sold_at": "2026-11-27T10:00", "price": "300"})
    assert refused.status_code == 409
    assert "2026-12-04" in refused.get_data(as_text=True)
    clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    sold = client.post(f"/items/{item_id}", data={"sold_at": "2026-12-07T12:00", "price": "300"})
    assert sold.status_code == 303
    html = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "verkocht" in html.lower()


def test_the_entry_page_shows_the_original_and_its_corrections(client, dealer_user, api):
    body = register(api, dealer_user)
    api.post(
        f"/api/v1/purchases/{body['id']}/corrections",
        {"reason": "naam verkeerd gespeld", "changes": {"seller": {"name": "Jan de Vriess"}}},
        as_=dealer_user,
    )
    html = client.get(f"/purchases/{body['id']}").get_data(as_text=True)
    assert "naam verkeerd gespeld" in html and "Jan de Vriess" in html and "Jan de Vries" in html


def test_the_csv_export_holds_the_dealers_own_register(client, dealer_user, api, make):
    register(api, dealer_user)
    register(api, make.user("dealer"))
    response = client.get("/purchases/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["sequence_number"] == "1" and rows[0]["imei"] == IMEI_1


def test_police_must_give_a_purpose_on_the_web_too(client, make, api):
    body = register(api, make.user("dealer"))
    police = make.user("police")
    log_in(client, police)
    assert "Jan de Vries" not in client.get("/purchases").get_data(as_text=True)
    assert "Jan de Vries" in client.get("/purchases?purpose=PL-1").get_data(as_text=True)
    assert 'name="purpose"' in client.get(f"/purchases/{body['id']}").get_data(as_text=True)
    assert "Jan de Vries" in client.get(f"/purchases/{body['id']}?purpose=PL-1").get_data(
        as_text=True
    )
