"""Registering an acquisition through the API: the entry, its number, its items."""

from __future__ import annotations

from sqlalchemy import func, select

from register.purchases.models import Item, Purchase, Seller

from .helpers import IMEI_1, IMEI_2, bicycle, phone, purchase, register


def test_a_registration_answers_201_with_its_sequence_number_and_items(api, make):
    dealer_user = make.user("dealer")
    body = register(api, dealer_user, purchase(items=[phone(), bicycle()]))
    assert body["sequence_number"] == 1
    assert body["recorded_at"].startswith("2026-11-27T10:00:00")
    assert body["late"] is False
    assert body["registration_deadline"] == "2026-11-30"
    assert [i["status"] for i in body["items"]] == ["holding", "holding"]
    assert body["items"][0]["hold_until"] == "2026-12-04"
    assert body["items"][0]["imei"] == IMEI_1
    assert body["seller"]["name"] == "Jan de Vries"


def test_sequence_numbers_count_per_dealer(api, make):
    first, second = make.user("dealer"), make.user("dealer")
    assert register(api, first)["sequence_number"] == 1
    assert register(api, first, purchase(items=[phone(IMEI_2)]))["sequence_number"] == 2
    assert register(api, second)["sequence_number"] == 1


def test_identifiers_are_kept_as_typed_and_normalised(api, make, session):
    dealer_user = make.user("dealer")
    body = register(
        api,
        dealer_user,
        purchase(
            items=[
                phone("49-015420-323751-8", serial_number="f2l-xk 12"),
                bicycle(frame="wbk 123-456x"),
            ]
        ),
    )
    first, second = body["items"]
    assert first["imei"] == "49-015420-323751-8"
    assert first["identifiers_normalized"]["imei"] == IMEI_1
    assert first["identifiers_normalized"]["serial_number"] == "F2LXK12"
    assert second["identifiers_normalized"]["frame_number"] == "WBK123456X"
    item = session.get(Item, first["id"])
    assert item.imei_norm == IMEI_1 and item.serial_norm == "F2LXK12"


def test_the_seller_is_stored_with_the_normalised_postcode(api, make, session):
    body = purchase()
    body["seller"]["address"]["postcode"] = "1017gc"
    register(api, make.user("dealer"), body)
    seller = session.scalar(select(Seller))
    assert seller.postcode == "1017 GC"
    assert seller.data_hash


def test_a_dealer_reads_its_own_entry_and_gets_404_for_another_dealers(api, make):
    owner, other = make.user("dealer"), make.user("dealer")
    body = register(api, owner)
    assert api.get(f"/api/v1/purchases/{body['id']}", as_=owner).status_code == 200
    response = api.get(f"/api/v1/purchases/{body['id']}", as_=other)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_a_dealer_lists_only_its_own_register(api, make, session):
    owner, other = make.user("dealer"), make.user("dealer")
    register(api, owner)
    register(api, other)
    page = api.get("/api/v1/purchases", as_=owner).json
    assert page["total"] == 1
    assert session.scalar(select(func.count()).select_from(Purchase)) == 2


def test_a_dealer_stopped_while_its_registration_was_being_read_cannot_register(make, session):
    """The dealer's status counts as its row says once its register is locked, not as the
    request read it a moment before."""
    import pytest
    from sqlalchemy import update

    from register.clock import utcnow
    from register.dealers.models import Dealer
    from register.purchases.service import (
        DealerNotActive,
        record_registrations,
        validate_registration,
    )

    dealer = session.get(Dealer, make.user("dealer").dealer_id)
    data = validate_registration(purchase(), dealer, now=utcnow())
    # The municipality stops the dealer; the request's copy of the dealer still says active.
    session.connection().execute(
        update(Dealer.__table__).where(Dealer.__table__.c.id == dealer.id).values(status="stopped")
    )
    assert dealer.status == "active"
    with pytest.raises(DealerNotActive, match="stopped"):
        record_registrations(session, dealer, [data], now=utcnow())
    session.rollback()
    assert session.scalar(select(func.count(Purchase.id))) == 0


def test_a_dealer_stopped_after_its_token_was_read_cannot_register(make, session):
    """The API registers with the dealer as the token's lookup loaded it: a stop since then
    counts once the register is locked."""
    import pytest
    from sqlalchemy import update

    from register.accounts.models import User
    from register.accounts.service import issue_token, user_for_token
    from register.clock import utcnow
    from register.dealers.models import Dealer
    from register.purchases.service import (
        DealerNotActive,
        record_registrations,
        validate_registration,
    )

    user = session.get(User, make.user("dealer").id)
    token = issue_token(session, user, now=utcnow(), lifetime=None)
    dealer = user_for_token(session, token, now=utcnow()).dealer
    assert (dealer.id, dealer.status) == (user.dealer_id, "active")
    data = validate_registration(purchase(), dealer, now=utcnow())
    session.connection().execute(
        update(Dealer.__table__).where(Dealer.__table__.c.id == dealer.id).values(status="stopped")
    )
    with pytest.raises(DealerNotActive, match="stopped"):
        record_registrations(session, dealer, [data], now=utcnow())
    session.rollback()
    assert session.scalar(select(func.count(Purchase.id))) == 0


def test_a_stolen_item_registered_reaches_the_police_as_held_with_its_purchase(api, make, session):
    """The hit's payload is built from the entry just registered (nothing is reloaded): it
    must say what the register says."""
    from notifications.models import OutboxEvent

    from .helpers import stolen_report

    report = stolen_report(session, imei=IMEI_2)
    user = make.user("dealer")
    body = register(api, user, purchase(items=[phone(IMEI_1), phone(IMEI_2)]))
    assert [i["status"] for i in body["items"]] == ["holding", "police_hold"]
    session.rollback()
    [event] = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "hit.created")).all()
    data = event.payload["data"]
    assert data["trigger"] == "registration"
    assert data["item"]["id"] == body["items"][1]["id"]
    assert (data["item"]["imei"], data["item"]["status"]) == (IMEI_2, "police_hold")
    assert data["purchase"]["id"] == body["id"]
    assert data["purchase"]["sequence_number"] == body["sequence_number"]
    stored = session.get(Purchase, body["id"])
    assert data["dealer"]["id"] == stored.dealer_id
    assert data["dealer"]["municipality"] == stored.dealer.municipality.code
    assert data["seller"]["name"] == stored.seller.name
    assert data["seller"]["id_document"]["number"] == stored.seller.id_document_number
    assert data["stolen_report"] == {"id": report.id, "report_number": report.report_number}
