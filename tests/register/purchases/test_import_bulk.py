"""The CSV import stores its purchases in bulk: the same register as one by one."""

from __future__ import annotations

from sqlalchemy import select

from register.dealers.models import Dealer
from register.hits.models import Hit, ItemIdentifierKey
from register.purchases.chain import verify_dealer
from register.purchases.models import Item, Purchase
from tests.stolen_db.helpers import add_report

from .helpers import IMEI_1, IMEI_2, IMEI_3, purchase
from .test_import import csv_text, post_csv, row


def test_an_import_after_registrations_continues_the_numbers_and_the_chain(
    api, make, session, clock
):
    user = make.user("dealer")
    assert api.post("/api/v1/purchases", purchase(), as_=user).status_code == 201
    response = post_csv(api, user, csv_text(row("A", IMEI_1), row("A", IMEI_2), row("", IMEI_3)))
    assert response.status_code == 201, response.json
    assert [e["sequence_number"] for e in response.json["entries"]] == [2, 3]
    assert api.post("/api/v1/purchases", purchase(), as_=user).json["sequence_number"] == 4
    session.expire_all()
    dealer = session.get(Dealer, user.dealer_id)
    assert verify_dealer(session, dealer).ok
    assert dealer.last_sequence_number == 4


def test_an_imported_stolen_item_is_held_with_a_hit_and_every_item_gets_its_keys(
    api, make, session, clock
):
    report = add_report(session, clock, category="phone", brand="Apple", imei=IMEI_2)
    user = make.user("dealer")
    response = post_csv(api, user, csv_text(row("A", IMEI_1), row("A", IMEI_2)))
    assert response.status_code == 201, response.json
    items = response.json["entries"][0]["items"]
    assert [i["status"] for i in items] == ["holding", "police_hold"]
    session.expire_all()
    hit = session.scalar(select(Hit))
    assert (hit.item_id, hit.stolen_report_id, hit.trigger) == (
        items[1]["id"],
        report.id,
        "registration",
    )
    assert session.get(Item, items[1]["id"]).status == "police_hold"
    keyed = set(session.scalars(select(ItemIdentifierKey.item_id)))
    assert keyed == {i["id"] for i in items}
    assert session.scalar(select(Purchase.seller_id)) is not None
