"""Corrections keep the original; sales respect the holding period and police hold."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from register.purchases.models import Correction, Item, Sale

from .helpers import IMEI_1, IMEI_2, bicycle, phone, purchase, register, stolen_report


def correct(api, user, purchase_id, changes, reason="typo at the counter"):
    return api.post(
        f"/api/v1/purchases/{purchase_id}/corrections",
        {"reason": reason, "changes": changes},
        as_=user,
    )


class TestCorrections:
    def test_a_correction_is_a_new_entry_and_the_original_stays_readable(self, api, make):
        user = make.user("dealer")
        body = register(api, user)
        item_id = body["items"][0]["id"]
        response = correct(
            api,
            user,
            body["id"],
            {
                "seller": {"name": "Jan de Vries-Smit"},
                "items": [{"id": item_id, "description": "blue"}],
            },
        )
        assert response.status_code == 201, response.json
        assert response.json["changes"] == {
            "seller": {"name": "Jan de Vries-Smit"},
            "items": [{"id": item_id, "description": "blue"}],
        }
        assert response.json["previous"]["items"] == [
            {"id": item_id, "description": "black, cracked screen"}
        ]
        read = api.get(f"/api/v1/purchases/{body['id']}", as_=user).json
        assert read["seller"]["name"] == "Jan de Vries"  # the original
        assert read["items"][0]["description"] == "black, cracked screen"
        assert read["current"]["seller"]["name"] == "Jan de Vries-Smit"
        assert read["current"]["items"][0]["description"] == "blue"
        assert [c["reason"] for c in read["corrections"]] == ["typo at the counter"]

    def test_a_correction_is_validated_like_a_registration(self, api, make, session):
        user = make.user("dealer")
        body = register(api, user, purchase(items=[phone(), phone(IMEI_2)]))
        second = body["items"][1]["id"]
        response = correct(api, user, body["id"], {"items": [{"id": second, "imei": "123"}]})
        assert response.status_code == 422
        assert response.json["errors"] == {
            "changes.items.0.imei": ["An IMEI has 15 digits; this one has 3."]
        }
        assert session.scalar(select(Correction)) is None

    def test_a_correction_must_name_an_item_of_the_entry(self, api, make):
        user = make.user("dealer")
        body = register(api, user)
        response = correct(api, user, body["id"], {"items": [{"id": 999, "brand": "X"}]})
        assert response.json["errors"] == {
            "changes.items.0.id": ["Name an item of this entry by its id (each item once)."]
        }

    def test_a_correction_needs_a_reason(self, api, make):
        user = make.user("dealer")
        body = register(api, user)
        response = api.post(
            f"/api/v1/purchases/{body['id']}/corrections",
            {"changes": {"seller": {"name": "X"}}},
            as_=user,
        )
        assert response.json["errors"] == {"reason": ["This field is required."]}

    def test_a_correction_that_changes_nothing_is_refused(self, api, make):
        user = make.user("dealer")
        body = register(api, user)
        response = correct(api, user, body["id"], {"seller": {"name": "Jan de Vries"}})
        assert response.json["errors"] == {
            "changes": ["These changes do not change anything in the entry."]
        }

    def test_another_dealers_entry_cannot_be_corrected(self, api, make):
        body = register(api, make.user("dealer"))
        response = correct(api, make.user("dealer"), body["id"], {"seller": {"name": "X"}})
        assert response.status_code == 404

    def test_a_corrected_identifier_is_checked_against_stop_heling(self, api, make, session):
        stolen_report(session, imei=IMEI_2)
        user = make.user("dealer")
        body = register(api, user)
        item_id = body["items"][0]["id"]
        assert (
            correct(api, user, body["id"], {"items": [{"id": item_id, "imei": IMEI_2}]}).status_code
            == 201
        )
        item = session.get(Item, item_id)
        session.refresh(item)
        assert item.status == "police_hold"
        assert item.imei == IMEI_1 and item.imei_norm == IMEI_2  # typed original, current form

    def test_a_theft_report_near_a_corrected_identifier_finds_the_item(self, api, make, session):
        """The corrected identifier's keys are stored: retroactive look-alike and near
        matching finds the item by what it says now, not only by what was typed first."""
        from register.hits.models import Hit

        user = make.user("dealer")
        body = register(api, user, purchase(items=[bicycle("WBK123456X")]))
        item_id = body["items"][0]["id"]
        changes = {"items": [{"id": item_id, "frame_number": "WBK987654X"}]}
        assert correct(api, user, body["id"], changes).status_code == 201
        theft = {"report_number": "PL1300-2026004712", "reported_at": "2026-11-27T08:00:00+01:00",
                 "category": "bicycle", "brand": "Gazelle",
                 "frame_number": "WBK987654Y"}  # one character off  # fmt: skip
        assert api.post("/api/v1/stolen", theft, as_="police").json["retroactive_hits"] == 1
        hit = session.scalar(select(Hit).where(Hit.item_id == item_id))
        assert (hit.match_kind, hit.trigger) == ("near", "theft_report")

    def test_the_item_page_shows_its_whole_history(self, api, make, clock):
        user = make.user("dealer")
        body = register(api, user)
        item_id = body["items"][0]["id"]
        correct(api, user, body["id"], {"items": [{"id": item_id, "price_cents": 20000}]})
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        api.post(
            f"/api/v1/items/{item_id}/sale",
            {"sold_at": "2026-12-07T12:00:00+01:00", "price_cents": 30000},
            as_=user,
        )
        history = api.get(f"/api/v1/items/{item_id}", as_=user).json["history"]
        assert [e["event"] for e in history] == ["registered", "corrected", "sold"]
        assert history[1]["changes"] == {"price_cents": 20000}
        assert history[1]["previous"] == {"price_cents": 25000}


def sell(api, user, item_id, sold_at="2026-12-07T12:00:00+01:00", price=30000, **extra):
    return api.post(
        f"/api/v1/items/{item_id}/sale",
        {"sold_at": sold_at, "price_cents": price, **extra},
        as_=user,
    )


class TestSales:
    def test_a_sale_during_the_holding_period_is_refused_saying_until_when(self, api, make, clock):
        user = make.user("dealer")
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
        response = sell(api, user, item_id, sold_at="2026-12-04T12:00:00+01:00")
        assert response.status_code == 409
        assert response.content_type == "application/problem+json"
        assert response.json["detail"] == (
            "This item is in its holding period until 2026-12-04 (inclusive); "
            "it may be sold from 2026-12-05."
        )

    def test_a_sale_after_the_holding_period_succeeds(self, api, make, clock, session):
        user = make.user("dealer")
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
        response = sell(api, user, item_id, sold_at="2026-12-05T10:30:00+01:00")
        assert response.status_code == 200, response.json
        assert response.json["status"] == "sold"
        assert response.json["sale"]["price_cents"] == 30000
        assert session.scalar(select(Sale)).item_id == item_id

    def test_an_item_on_police_hold_cannot_be_sold(self, api, make, clock, session):
        stolen_report(session, imei=IMEI_1)
        user = make.user("dealer")
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2027, 1, 15, 10, 0, tzinfo=UTC))
        response = sell(api, user, item_id, sold_at="2027-01-15T10:00:00+01:00")
        assert response.status_code == 409
        assert response.json["detail"] == (
            "This item is on police hold: it may not be sold, changed or handed over until the "
            "police release it."
        )

    def test_an_item_cannot_be_sold_twice(self, api, make, clock):
        user = make.user("dealer")
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        assert sell(api, user, item_id).status_code == 200
        response = sell(api, user, item_id)
        assert response.status_code == 409
        assert response.json["detail"] == "This item is sold already."

    def test_the_municipality_may_require_the_buyer(self, api, make, clock):
        town = make.municipality("GM0344", "Utrecht", buyer_required_on_sale=True)
        user = make.user("dealer", dealer=make.dealer(municipality=town))
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        response = sell(api, user, item_id)
        assert response.status_code == 422
        assert response.json["errors"] == {
            "buyer": ["The municipality asks for the buyer's name and address on every sale."]
        }
        buyer = {
            "name": "Piet Jansen",
            "address": {
                "street": "Dorpsstraat",
                "house_number": "1",
                "postcode": "3511AA",
                "city": "Utrecht",
            },
        }
        response = sell(api, user, item_id, buyer=buyer)
        assert response.status_code == 200, response.json
        assert response.json["sale"]["buyer"]["address"]["postcode"] == "3511 AA"

    def test_a_sale_cannot_be_in_the_future_or_have_a_negative_price(self, api, make, clock):
        user = make.user("dealer")
        item_id = register(api, user)["items"][0]["id"]
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        response = sell(api, user, item_id, sold_at="2026-12-09T12:00:00+01:00", price=-1)
        assert response.json["errors"] == {
            "sold_at": ["The sale cannot be in the future."],
            "price_cents": ["The price cannot be negative."],
        }

    def test_another_dealers_item_is_404(self, api, make, clock):
        item_id = register(api, make.user("dealer"))["items"][0]["id"]
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        assert sell(api, make.user("dealer"), item_id).status_code == 404
