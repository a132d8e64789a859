"""A real hit, recorded by the register, reaches the police receiver as API.md describes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from notifications.models import DELIVERED, OutboxEvent
from register.hits.models import Hit
from register.hits.service import record_hits
from register.inspections.models import InspectionTask
from register.purchases.models import Item, Purchase, Seller
from stolen_db.matching import Match
from stolen_db.models import StolenReport
from tests.conftest import WEBHOOK_SECRET

from .helpers import make_worker, start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.stop()


def _registered_item(session, make, clock) -> Item:
    dealer = make.dealer(name="Fietsen BV")
    now = clock.now()
    seller = Seller(
        dealer_id=dealer.id,
        name="Jan de Vries",
        birth_date=date(1990, 4, 1),
        street="Kerkstraat",
        house_number="12a",
        postcode="1017 GC",
        city="Amsterdam",
        country="NL",
        id_document_type="id_card",
        id_document_number="IXF123456",
        id_document_country="NL",
        created_at=now,
    )
    session.add(seller)
    session.flush()
    purchase = Purchase(
        dealer_id=dealer.id,
        sequence_number=1,
        chain_position=1,
        acquired_at=now,
        acquisition_date=now.date(),
        acquisition_type="purchase",
        seller_id=seller.id,
        recorded_at=now,
        registration_deadline=now.date(),
        entry_hash="0" * 64,
    )
    session.add(purchase)
    session.flush()
    item = Item(
        purchase_id=purchase.id,
        dealer_id=dealer.id,
        position=0,
        category="phone",
        brand="Apple",
        model="iPhone 13",
        imei="490154203237518",
        imei_norm="490154203237518",
        status="holding",
        hold_until=now.date() + timedelta(days=7),
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def _stolen_report(session, clock) -> StolenReport:
    report = StolenReport(
        report_number="PL1300-2026-000123",
        reported_at=clock.now(),
        category="phone",
        brand="Apple",
        imei="490154203237518",
        imei_norm="490154203237518",
        status="active",
        created_at=clock.now(),
    )
    session.add(report)
    session.flush()
    return report


def test_a_hit_is_held_queued_and_tasked_in_one_transaction_and_reaches_the_police(
    app, session, make, clock, receiver
):
    item = _registered_item(session, make, clock)
    report = _stolen_report(session, clock)
    match = Match(report.id, report.report_number, "exact", "imei", 1.0)

    (hit,) = record_hits(session, [(item, match)], trigger="registration", now=clock.now())
    # A second check of the same item against the same report changes nothing.
    assert record_hits(session, [(item, match)], trigger="registration", now=clock.now()) == [hit]
    session.commit()
    hit_id, item_id, dealer_id = hit.id, item.id, item.dealer_id

    assert session.scalar(select(Item.status).where(Item.id == item_id)) == "police_hold"
    assert len(session.scalars(select(Hit)).all()) == 1
    [task] = session.scalars(select(InspectionTask)).all()
    assert (task.reason, task.dealer_id) == ("hit", dealer_id)
    [event] = session.scalars(select(OutboxEvent)).all()
    assert event.type == "hit.created"
    assert event.dedupe_key == f"hit:{hit_id}"
    message_id = event.message_id
    session.rollback()

    assert make_worker(app, receiver.url).run_once() == 1

    [request] = receiver.received
    assert request.webhook_id == message_id
    body = Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
    assert body["type"] == "hit.created"
    data = body["data"]
    assert data["hit_id"] == hit_id
    assert data["trigger"] == "registration"
    assert data["match"] == {"kind": "exact", "identifier_type": "imei", "confidence": 1.0}
    assert data["item"]["imei"] == "490154203237518"
    assert data["dealer"]["name"] == "Fietsen BV"
    assert data["seller"]["id_document"]["number"] == "IXF123456"
    assert data["stolen_report"] == {"id": report.id, "report_number": "PL1300-2026-000123"}
    session.rollback()
    assert session.scalar(select(OutboxEvent.status)) == DELIVERED
