"""Hits: at registration and retroactively when the police report a theft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from notifications.models import OutboxEvent
from register.hits.models import Hit, ItemIdentifierKey
from register.inspections.models import InspectionTask
from register.purchases.models import Item
from tests.stolen_db.helpers import IMEI, IMEI_2, add_report

from .helpers import register_item


def theft(**fields):
    body = {
        "report_number": "PL1300-2026004711",
        "reported_at": "2026-11-27T08:00:00+01:00",
        "category": "phone",
        "brand": "Apple",
    }
    body.update(fields)
    return body


@pytest.fixture
def dealer(make):
    return make.dealer(name="Telefoonhandel Centrum")


class TestAtRegistration:
    def test_an_item_matching_an_active_report_goes_on_police_hold_with_a_hit(
        self, session, clock, dealer
    ):
        report = add_report(session, clock, imei=IMEI, brand="Apple")
        item = register_item(session, clock, dealer=dealer, imei="49 015420 323751 8")
        hit = session.scalar(select(Hit).where(Hit.item_id == item.id))
        assert hit is not None
        assert (hit.stolen_report_id, hit.trigger) == (report.id, "registration")
        assert (hit.match_kind, hit.identifier_type, hit.confidence) == ("normalized", "imei", 0.98)
        assert session.get(Item, item.id).status == "police_hold"

    @pytest.mark.parametrize(
        ("typed", "brand", "kind"),
        [
            ("C02XK0XJJG5H", "Apple", "exact"),
            ("c02x-k0xj-jg5h", "Apple", "normalized"),
            ("CO2XKOXJJG5H", "Apple", "lookalike"),
            ("C02XK0XJJG5J", "Apple", "near"),
        ],
    )
    def test_every_tier_makes_a_hit_marked_with_its_kind(
        self, session, clock, dealer, typed, brand, kind
    ):
        add_report(session, clock, category="laptop", brand="Apple", serial_number="C02XK0XJJG5H")
        item = register_item(
            session, clock, dealer=dealer, category="laptop", brand=brand, serial_number=typed
        )
        assert session.scalar(select(Hit.match_kind).where(Hit.item_id == item.id)) == kind

    def test_a_near_match_of_another_brand_makes_no_hit(self, session, clock, dealer):
        add_report(session, clock, category="laptop", brand="Apple", serial_number="C02XK0XJJG5H")
        item = register_item(
            session,
            clock,
            dealer=dealer,
            category="laptop",
            brand="Dell",
            serial_number="C02XK0XJJG5J",
        )
        assert session.scalar(select(Hit).where(Hit.item_id == item.id)) is None
        assert session.get(Item, item.id).status == "holding"

    def test_a_withdrawn_report_makes_no_hit(self, session, clock, dealer, api):
        report = add_report(session, clock, imei=IMEI, brand="Apple")
        api.post(f"/api/v1/stolen/{report.id}/withdraw", as_="police")
        item = register_item(session, clock, dealer=dealer, imei=IMEI, brand="Apple")
        assert session.scalar(select(Hit).where(Hit.item_id == item.id)) is None

    def test_the_item_keys_are_stored_for_later_theft_reports(self, session, clock, dealer):
        item = register_item(session, clock, dealer=dealer, brand="Apple", serial_number="ABC123")
        keys = session.scalars(
            select(ItemIdentifierKey.key).where(ItemIdentifierKey.item_id == item.id)
        ).all()
        assert len(keys) == 1 + 7  # one look-alike key, the key and its 6 one-deletion variants


class TestRetroactive:
    def test_a_new_theft_report_puts_matching_registered_items_on_police_hold(
        self, api, session, clock, dealer
    ):
        first = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI)
        other_dealer = register_item(
            session, clock, dealer=dealer, brand="Apple", imei="4901-5420-3237-518"
        )
        unrelated = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI_2)
        clock.advance(days=2)

        response = api.post("/api/v1/stolen", theft(imei=IMEI), as_="police")

        assert response.status_code == 201, response.json
        assert response.json["retroactive_hits"] == 2
        report_id = response.json["id"]
        hits = session.scalars(select(Hit).where(Hit.stolen_report_id == report_id)).all()
        assert {h.item_id for h in hits} == {first.id, other_dealer.id}
        assert {h.trigger for h in hits} == {"theft_report"}
        session.expire_all()
        assert session.get(Item, first.id).status == "police_hold"
        assert session.get(Item, other_dealer.id).status == "police_hold"
        assert session.get(Item, unrelated.id).status == "holding"
        # One outbox event per hit, for the police, and an inspection task per hit.
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "hit.created")).all()
        assert sorted(e.payload["data"]["hit_id"] for e in events) == sorted(h.id for h in hits)
        assert {e.payload["data"]["trigger"] for e in events} == {"theft_report"}
        assert {h.outbox_event_id for h in hits} == {e.id for e in events}
        tasks = session.scalars(select(InspectionTask).where(InspectionTask.reason == "hit")).all()
        assert {t.dedupe_key for t in tasks} == {f"hit:{h.id}" for h in hits}

    @pytest.mark.parametrize(
        ("registered", "kind"),
        [("SN-4471-QX", "normalized"), ("5N4471QX", "lookalike"), ("SN4417QX", "near")],
    )
    def test_retroactive_matching_uses_every_tier(
        self, api, session, clock, dealer, registered, kind
    ):
        register_item(
            session,
            clock,
            dealer=dealer,
            category="camera",
            brand="Canon",
            serial_number=registered,
        )
        response = api.post(
            "/api/v1/stolen",
            theft(category="camera", brand="Canon", serial_number="SN4471QX"),
            as_="police",
        )
        assert response.json["retroactive_hits"] == 1
        assert session.scalar(select(Hit.match_kind)) == kind

    def test_a_near_match_needs_the_same_brand_and_six_characters(
        self, api, session, clock, dealer
    ):
        register_item(session, clock, dealer=dealer, brand="Nikon", serial_number="SN4417QX")
        register_item(session, clock, dealer=dealer, brand="Canon", serial_number="QX47")
        response = api.post(
            "/api/v1/stolen",
            theft(report_number="A1", brand="Canon", serial_number="SN4471QX"),
            as_="police",
        )
        assert response.json["retroactive_hits"] == 0
        response = api.post(
            "/api/v1/stolen", theft(report_number="A2", brand="Canon", serial_number="QX74"),
            as_="police",
        )  # fmt: skip
        assert response.json["retroactive_hits"] == 0

    def test_items_registered_before_the_retention_window_are_not_matched(
        self, api, session, clock, dealer, app
    ):
        days = app.config["SELLER_DATA_RETENTION_DAYS"]
        old = register_item(session, clock, dealer=dealer, imei=IMEI)
        clock.advance(days=days, hours=1)
        recent = register_item(session, clock, dealer=dealer, imei="490154203237518")
        response = api.post("/api/v1/stolen", theft(imei=IMEI), as_="police")
        assert response.json["retroactive_hits"] == 1
        assert session.scalar(select(Hit.item_id)) == recent.id
        assert session.get(Item, old.id).status == "holding"

    def test_a_sold_item_still_makes_a_hit_but_keeps_its_status(self, api, session, clock, dealer):
        item = register_item(session, clock, dealer=dealer, imei=IMEI, status="sold")
        assert (
            api.post("/api/v1/stolen", theft(imei=IMEI), as_="police").json["retroactive_hits"] == 1
        )
        session.expire_all()
        assert session.get(Item, item.id).status == "sold"

    def test_a_refused_report_leaves_no_hit_and_no_event(self, api, session, clock, dealer):
        register_item(session, clock, dealer=dealer, imei=IMEI)
        api.post("/api/v1/stolen", theft(imei=IMEI), as_="police")
        duplicate = api.post("/api/v1/stolen", theft(imei=IMEI, brand="X"), as_="police")
        assert duplicate.status_code == 409
        assert session.query(Hit).count() == 1
        assert session.query(OutboxEvent).count() == 1

    def test_the_hits_of_one_transaction_are_rolled_back_together(
        self, app, api, session, clock, dealer, monkeypatch
    ):
        """Nothing is half-stored: a failure during matching takes back the report too."""
        from register.hits import service
        from stolen_db.models import StolenReport

        register_item(session, clock, dealer=dealer, imei=IMEI)
        real_record_hits = service.record_hits

        def record_then_fail(*args, **kwargs):
            real_record_hits(*args, **kwargs)
            raise RuntimeError("simulated crash after the hits were recorded")

        monkeypatch.setattr(service, "record_hits", record_then_fail)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        response = api.post("/api/v1/stolen", theft(imei=IMEI), as_="police")
        assert response.status_code == 500
        session.rollback()
        assert session.query(StolenReport).count() == 0
        assert session.query(Hit).count() == 0
        assert session.query(OutboxEvent).count() == 0
        assert session.scalar(select(Item.status)) == "holding"


def test_registration_and_a_later_report_never_double_count_a_hit(session, clock, dealer):
    from register.hits.service import check_items, retroactive_hits

    report = add_report(session, clock, imei=IMEI)
    item = register_item(session, clock, dealer=dealer, imei=IMEI)
    check_items(session, [item], now=clock.now())
    retroactive_hits(session, [report], clock.now() + timedelta(minutes=1))
    session.commit()
    assert session.query(Hit).count() == 1
    assert session.query(OutboxEvent).count() == 1


def test_many_theft_reports_at_once_make_the_hits_one_report_at_a_time_would(
    session, clock, dealer
):
    """The police's bulk import (``report_thefts`` with ``retroactive_hits``) matches
    every tier, keeps the retention window and records each hit with its event and task."""
    from register.hits.service import registered_matches, retroactive_hits
    from stolen_db.models import StolenReport
    from stolen_db.service import report_thefts

    exact = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI)
    near = register_item(session, clock, dealer=dealer, category="camera", brand="Canon",
                         serial_number="SN4417QX")  # fmt: skip
    register_item(session, clock, dealer=dealer, category="camera", brand="Nikon",
                  serial_number="SN4417QX")  # another brand: no near match  # fmt: skip
    session.commit()

    def report(number, **fields):
        return {"report_number": number, "reported_at": clock.now(), "category": "phone",
                "brand": "Apple", **fields}  # fmt: skip

    reports = [
        report("B-1", imei=IMEI),
        report("B-2", category="camera", brand="Canon", serial_number="SN4471QX"),
        report("B-3", imei=IMEI_2),
        report("B-1", imei=IMEI_2),  # a duplicate number
        report("B-4", imei="123"),  # refused: not an IMEI
    ]
    result = report_thefts(
        session, reports, now=clock.now(), find_registered_matches=retroactive_hits
    )
    assert [r.report_number for r in result.reports] == ["B-1", "B-2", "B-3"]
    assert result.duplicates == [3] and list(result.refused) == [4]
    assert result.retroactive_hits == 2
    hits = session.scalars(select(Hit).order_by(Hit.item_id)).all()
    assert [(h.item_id, h.match_kind, h.trigger) for h in hits] == [
        (exact.id, "exact", "theft_report"),
        (near.id, "near", "theft_report"),
    ]
    assert len(session.scalars(select(OutboxEvent)).all()) == 2
    # The same pairs as matching each report on its own.
    for ref in result.reports:
        one = registered_matches(session, session.get(StolenReport, ref.id), now=clock.now())
        assert {(i.id, m.kind) for i, m in one} == {
            (h.item_id, h.match_kind) for h in hits if h.stolen_report_id == ref.id
        }


def test_many_hits_are_recorded_at_once_each_with_its_hold_event_and_task(
    session, clock, dealer, make
):
    """``record_hits`` (a CSV import's or a bulk theft import's hits): every pair gets its
    hit, its event with the hit's payload and its task in the dealer's municipality; a sold
    item keeps its status; recording the same pairs again adds nothing."""
    from register.hits.service import record_hits
    from stolen_db.matching import Match

    other = make.dealer(name="Fietsenhandel Noord")
    first = register_item(session, clock, dealer=dealer, check=False, imei=IMEI)
    second = register_item(session, clock, dealer=other, check=False, imei=IMEI_2)
    sold = register_item(session, clock, dealer=other, check=False, status="sold", imei=IMEI)
    report = add_report(session, clock, imei=IMEI)  # matches first and sold retroactively
    session.query(Hit).delete()
    session.query(OutboxEvent).delete()
    session.query(InspectionTask).delete()
    session.query(Item).update({"status": "holding"})
    session.query(Item).filter(Item.id == sold.id).update({"status": "sold"})
    session.commit()

    def match(kind):
        return Match(report.id, report.report_number, kind, "imei", 1.0)

    pairs = [(first, match("exact")), (second, match("near")),
             (sold, match("exact")), (first, match("exact"))]  # fmt: skip
    ids = [hit.id for hit in record_hits(session, pairs, trigger="theft_report", now=clock.now())]
    session.commit()
    assert len(set(ids)) == 3 and ids[0] == ids[3]
    hits = {h.item_id: h for h in session.scalars(select(Hit))}
    assert sorted(hits) == sorted([first.id, second.id, sold.id])
    statuses = dict(session.execute(select(Item.id, Item.status)).all())
    assert statuses == {first.id: "police_hold", second.id: "police_hold", sold.id: "sold"}
    events = {e.id: e for e in session.scalars(select(OutboxEvent))}
    for item_id, hit in hits.items():
        event = events[hit.outbox_event_id]
        assert event.dedupe_key == f"hit:{hit.id}"
        data = event.payload["data"]
        assert (data["hit_id"], data["item"]["id"], data["item"]["status"]) == (
            hit.id, item_id, statuses[item_id]
        )  # fmt: skip
        assert data["stolen_report"] == {"id": report.id, "report_number": report.report_number}
        assert data["dealer"]["id"] == hit.dealer_id
    tasks = {t.dedupe_key: t for t in session.scalars(select(InspectionTask))}
    assert set(tasks) == {f"hit:{h.id}" for h in hits.values()}
    assert tasks[f"hit:{hits[second.id].id}"].municipality_id == other.municipality_id

    again = record_hits(session, pairs, trigger="theft_report", now=clock.now())
    session.commit()
    assert [hit.id for hit in again] == ids
    assert session.query(Hit).count() == 3
    assert session.query(OutboxEvent).count() == 3
    assert session.query(InspectionTask).count() == 3


def test_a_hit_leaves_the_sessions_copy_of_its_item_on_police_hold_with_nothing_to_write(
    session, clock, dealer
):
    """The hold is one statement for every item; the session's own copy of a held item says
    so too, without a change pending that a flush would write again."""
    from register.hits.service import record_hits
    from stolen_db.matching import Match

    item = register_item(session, clock, dealer=dealer, check=False, imei=IMEI)
    report = add_report(session, clock, imei=IMEI)  # a hit of its own: cleared below
    session.query(Hit).delete()
    session.query(OutboxEvent).delete()
    session.query(InspectionTask).delete()
    session.query(Item).update({"status": "holding"})
    session.commit()
    copy = session.get(Item, item.id)
    assert copy.status == "holding"

    match = Match(report.id, report.report_number, "exact", "imei", 1.0)
    record_hits(session, [(copy, match)], trigger="theft_report", now=clock.now())

    assert copy.status == "police_hold"
    assert copy not in session.dirty
    session.commit()
    session.expire_all()
    assert session.get(Item, item.id).status == "police_hold"
