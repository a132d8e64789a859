"""The police seize a held item or release it to the dealer, who may then sell it."""

from __future__ import annotations

from register.accounts.models import AuditEntry
from register.purchases.models import Item
from tests.factories import PASSWORD

from .helpers import register_item

IMEI = "490154203237518"


def held_item(session, clock, make, report):
    dealer = make.dealer()
    return register_item(session, clock, dealer=dealer, imei=IMEI, brand="Apple")


def report_theft(api, police):
    response = api.post(
        "/api/v1/stolen",
        {
            "report_number": "PL-77",
            "reported_at": "2026-11-20T10:00:00+01:00",
            "category": "phone",
            "brand": "Apple",
            "imei": IMEI,
        },
        as_=police,
    )
    assert response.status_code == 201, response.json


def test_a_released_item_can_be_sold_by_its_dealer(api, make, session, clock):
    police = make.user("police")
    report_theft(api, police)
    item = held_item(session, clock, make, None)
    assert item.status == "police_hold"
    dealer_user = make.user("dealer", dealer=item.purchase.dealer)
    clock.advance(hours=2)

    refused = api.post(
        f"/api/v1/items/{item.id}/sale",
        {"sold_at": "2026-11-27T10:30:00+01:00", "price_cents": 100},
        as_=dealer_user,
    )
    assert refused.status_code == 409, refused.json

    response = api.post(
        f"/api/v1/items/{item.id}/police-decision",
        {"decision": "released", "note": "owner's report was a mistake"},
        as_=police,
    )
    assert response.status_code == 200 and response.json == {"id": item.id, "status": "released"}
    sold = api.post(
        f"/api/v1/items/{item.id}/sale",
        {"sold_at": "2026-11-27T10:30:00+01:00", "price_cents": 100},
        as_=dealer_user,
    )
    assert sold.status_code == 200, sold.json
    audit = session.query(AuditEntry).filter_by(action="item_released").one()
    assert audit.purpose == "owner's report was a mistake" and audit.record_id == str(item.id)


def test_a_seized_item_stays_seized_and_cannot_be_decided_again(api, make, session, clock):
    police = make.user("police")
    report_theft(api, police)
    item = held_item(session, clock, make, None)
    seized = api.post(
        f"/api/v1/items/{item.id}/police-decision", {"decision": "seized"}, as_=police
    )
    assert seized.json["status"] == "seized"
    again = api.post(
        f"/api/v1/items/{item.id}/police-decision", {"decision": "released"}, as_=police
    )
    assert again.status_code == 409 and "seized" in again.json["detail"]
    session.expire_all()
    assert session.get(Item, item.id).status == "seized"


def test_an_item_not_on_hold_cannot_be_seized(api, make, session, clock):
    item = register_item(session, clock, dealer=make.dealer(), imei=IMEI, brand="Apple")
    response = api.post(
        f"/api/v1/items/{item.id}/police-decision", {"decision": "seized"}, as_="police"
    )
    assert response.status_code == 409


def test_a_decision_must_be_seized_or_released(api, make):
    response = api.post("/api/v1/items/1/police-decision", {"decision": "destroyed"}, as_="police")
    assert response.status_code == 422 and "decision" in response.json["errors"]


def test_the_police_release_an_item_from_the_hits_page(client, api, make, session, clock):
    police = make.user("police", email="agent@politie.nl")
    report_theft(api, police)
    item = held_item(session, clock, make, None)
    client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
    page = client.get("/hits").get_data(as_text=True)
    assert f"/hits/items/{item.id}/decision" in page
    confirmation = client.get(f"/hits/items/{item.id}/decision").get_data(as_text=True)
    assert 'name="note"' in confirmation
    response = client.post(f"/hits/items/{item.id}/decision", data={"decision": "released"})
    assert response.status_code == 422  # a decision needs its note
    session.expire_all()
    assert session.get(Item, item.id).status == "police_hold"
    response = client.post(
        f"/hits/items/{item.id}/decision",
        data={"decision": "released", "note": "eigenaar trok aangifte in"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Item, item.id).status == "released"
