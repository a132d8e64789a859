"""The register's rules: holding period, timeliness, dealer kinds, the Stop Heling check."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

import register.models
from notifications.models import OutboxEvent
from register.dealers.models import Municipality
from register.hits.models import Hit
from register.inspections.models import InspectionTask
from register.purchases.holding import (
    add_working_days,
    hold_until,
    is_working_day,
    registration_deadline,
)

from .helpers import IMEI_1, IMEI_2, bicycle, phone, purchase, register, stolen_report


def rules(**kwargs) -> Municipality:
    defaults = {
        "holding_period": 5,
        "holding_period_unit": "working_days",
        "registration_grace_working_days": 1,
    }
    return Municipality(**{**defaults, **kwargs})


class TestHoldingPeriod:
    def test_five_working_days_skip_the_weekend(self):
        assert hold_until(date(2026, 11, 27), rules()) == date(2026, 12, 4)

    def test_christmas_and_boxing_day_do_not_count(self):
        # Wed 23 Dec 2026: Thu 24, (Fri 25 Christmas, Sat 26, Sun 27), Mon 28 .. Thu 31.
        assert hold_until(date(2026, 12, 23), rules()) == date(2026, 12, 31)

    def test_kings_day_does_not_count(self):
        # Fri 24 Apr 2026: (Mon 27 King's Day) Tue 28, Wed 29, Thu 30, Fri 1 May, Mon 4 May.
        assert hold_until(date(2026, 4, 24), rules()) == date(2026, 5, 4)

    def test_easter_monday_and_good_friday_as_the_holidays_package_knows_them(self):
        assert not is_working_day(date(2026, 4, 6))  # Easter Monday
        assert not is_working_day(date(2026, 4, 27))  # King's Day
        assert not is_working_day(date(2026, 12, 25))
        assert is_working_day(date(2026, 12, 24))

    def test_a_municipality_counting_calendar_days(self):
        assert hold_until(
            date(2026, 12, 23), rules(holding_period=7, holding_period_unit="days")
        ) == (date(2026, 12, 30))

    def test_a_municipality_with_a_longer_period_in_working_days(self):
        assert hold_until(date(2026, 11, 27), rules(holding_period=10)) == date(2026, 12, 11)

    def test_the_registration_deadline_is_the_next_working_day_by_default(self):
        assert registration_deadline(date(2026, 11, 27), rules()) == date(2026, 11, 30)
        assert registration_deadline(date(2026, 12, 24), rules()) == date(2026, 12, 28)

    def test_a_municipality_may_demand_registration_on_the_day_itself(self):
        grace = rules(registration_grace_working_days=0)
        assert registration_deadline(date(2026, 11, 27), grace) == date(2026, 11, 27)

    def test_adding_zero_working_days_is_the_day_itself(self):
        assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)


def test_the_api_applies_the_municipalitys_holding_period(api, make):
    town = make.municipality("GM0344", "Utrecht", holding_period=7, holding_period_unit="days")
    user = make.user("dealer", dealer=make.dealer(municipality=town))
    assert register(api, user)["items"][0]["hold_until"] == "2026-12-04"


def test_an_acquisition_dated_ten_days_ago_is_held_the_full_period_from_today(api, make):
    # Registered on Friday 27 November, acquired on Tuesday 17 November: late, and held
    # five working days from the registration, not from the acquisition.
    body = register(api, make.user("dealer"), purchase("2026-11-17T10:00:00+01:00"))
    assert body["late"] is True
    assert body["items"][0]["status"] == "holding"
    assert body["items"][0]["hold_until"] == "2026-12-04"


def test_a_late_entry_cannot_be_sold_before_the_period_from_its_registration_ends(api, make, clock):
    user = make.user("dealer")
    body = register(api, user, purchase("2026-11-16T10:00:00+01:00"))
    item_id = body["items"][0]["id"]
    sale = {"sold_at": "2026-11-30T10:00:00+01:00", "price_cents": 30000}
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert api.post(f"/api/v1/items/{item_id}/sale", sale, as_=user).status_code == 409


def test_an_item_becomes_available_when_its_holding_period_ends(api, make, clock):
    user = make.user("dealer")
    body = register(api, user)
    clock.set(datetime(2026, 12, 4, 22, 0, tzinfo=UTC))  # 23:00 in Amsterdam, still the 4th
    assert api.get(f"/api/v1/purchases/{body['id']}", as_=user).json["items"][0]["status"] == (
        "holding"
    )
    clock.set(datetime(2026, 12, 4, 23, 30, tzinfo=UTC))  # the 5th in Amsterdam
    assert api.get(f"/api/v1/purchases/{body['id']}", as_=user).json["items"][0]["status"] == (
        "available"
    )
    listed = api.get("/api/v1/purchases?status=available", as_=user).json
    assert listed["total"] == 1
    assert api.get("/api/v1/purchases?status=holding", as_=user).json["total"] == 0


class TestTimeliness:
    def test_a_registration_by_the_next_working_day_is_in_time(self, api, make, clock):
        clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # Monday after a Friday purchase
        body = register(api, make.user("dealer"))
        assert body["late"] is False

    def test_a_later_registration_is_flagged_and_gives_enforcement_a_task(
        self, api, make, clock, session
    ):
        user = make.user("dealer")
        clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday
        body = register(api, user)
        assert body["late"] is True
        assert body["registration_deadline"] == "2026-11-30"
        task = session.scalar(select(InspectionTask))
        assert task.reason == "late_registration"
        assert task.dealer_id == user.dealer_id
        assert task.dedupe_key == f"purchase:{body['id']}"

    def test_late_entries_are_visible_to_enforcement(self, api, make, clock):
        user = make.user("dealer")
        clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        register(api, user)
        officer = make.user("enforcement")
        page = api.get("/api/v1/purchases?late=true&purpose=controle", as_=officer).json
        assert page["total"] == 1 and page["items"][0]["late"] is True


class TestDealerKinds:
    def test_a_thrift_shop_registers_a_donation_without_seller(self, api, make):
        user = make.user("dealer", dealer=make.dealer(kind="thrift"))
        body = purchase(acquisition_type="donation", seller=None, items=[bicycle(price_cents=0)])
        response = api.post("/api/v1/purchases", body, as_=user)
        assert response.status_code == 201, response.json
        assert response.json["seller"] is None

    def test_a_donated_bicycle_still_needs_its_frame_number(self, api, make):
        user = make.user("dealer", dealer=make.dealer(kind="thrift"))
        body = purchase(acquisition_type="donation", seller=None, items=[bicycle(None)])
        response = api.post("/api/v1/purchases", body, as_=user)
        assert response.json["errors"] == {
            "items.0.frame_number": ["Enter the frame number: bicycles and e-bikes need one."]
        }

    def test_a_donated_phone_still_needs_its_identifier_but_other_goods_need_none(self, api, make):
        user = make.user("dealer", dealer=make.dealer(kind="thrift"))
        body = purchase(
            acquisition_type="donation",
            seller=None,
            items=[phone(None, price_cents=None), {"category": "art", "description": "vase"}],
        )
        response = api.post("/api/v1/purchases", body, as_=user)
        assert response.json["errors"] == {
            "items.0.imei": ["Enter the IMEI or the serial number: phones and tablets need one."]
        }

    def test_a_thrift_shop_that_buys_registers_like_any_dealer(self, api, make):
        user = make.user("dealer", dealer=make.dealer(kind="thrift"))
        response = api.post("/api/v1/purchases", purchase(seller=None), as_=user)
        assert response.json["errors"] == {
            "seller": ["Enter the seller: name, birth date, address and identity document."]
        }

    def test_a_commercial_dealer_cannot_register_a_donation(self, api, make):
        response = api.post(
            "/api/v1/purchases", purchase(acquisition_type="donation"), as_=make.user("dealer")
        )
        assert response.json["errors"] == {
            "acquisition_type": [
                "Only a thrift shop may register a donation; choose purchase or exchange."
            ]
        }

    def test_a_foreign_dealer_without_kvk_number_registers(self, api, make):
        dealer = make.dealer(kind="foreign", country="BE")
        assert dealer.kvk_number is None
        user = make.user("dealer", dealer=dealer)
        body = purchase()
        body["seller"]["address"].update(postcode="1000", city="Brussel", country="BE")
        body["seller"]["id_document"]["issuing_country"] = "BE"
        assert register(api, user, body)["sequence_number"] == 1

    @pytest.mark.parametrize("active", [False])
    def test_a_dealer_that_is_not_active_gets_403_with_a_clear_message(
        self, api, make, session, active
    ):
        user = make.user("dealer", dealer=make.dealer(active=active))
        response = api.post("/api/v1/purchases", purchase(), as_=user)
        assert response.status_code == 403
        assert response.json["detail"] == (
            "This dealer is not connected to the DOR (status: pending), so it cannot register. "
            "The municipality connects a dealer once it accepts its start report."
        )

    def test_a_stopped_dealer_cannot_register(self, api, make, session):
        dealer = make.dealer()
        dealer.status = "stopped"
        session.commit()
        response = api.post("/api/v1/purchases", purchase(), as_=make.user("dealer", dealer=dealer))
        assert response.status_code == 403
        assert "status: stopped" in response.json["detail"]


class TestStopHelingCheck:
    def test_a_stolen_item_is_registered_on_police_hold_and_the_police_notified(
        self, api, make, session
    ):
        report = stolen_report(session, imei=IMEI_1)
        user = make.user("dealer")
        response = api.post("/api/v1/purchases", purchase(items=[phone(), phone(IMEI_2)]), as_=user)
        assert response.status_code == 201
        body = response.json
        assert [i["status"] for i in body["items"]] == ["police_hold", "holding"]
        hit = session.scalar(select(Hit))
        assert hit.item_id == body["items"][0]["id"] and hit.stolen_report_id == report.id
        event = session.scalar(select(OutboxEvent))
        assert event.type == "hit.created"
        tasks = session.scalars(select(InspectionTask.reason)).all()
        assert tasks == ["hit"]

    def test_the_dealer_never_sees_the_theft_report(self, api, make, session):
        stolen_report(session, imei=IMEI_1, number="PL-SECRET-77")
        user = make.user("dealer")
        created = api.post("/api/v1/purchases", purchase(), as_=user)
        read = api.get(f"/api/v1/purchases/{created.json['id']}", as_=user)
        item = api.get(f"/api/v1/items/{created.json['items'][0]['id']}", as_=user)
        for response in (created, read, item):
            text = response.get_data(as_text=True)
            assert "PL-SECRET-77" not in text and "Jansen" not in text
            assert "stolen_report" not in text

    def test_a_normalised_identifier_matches(self, api, make, session):
        stolen_report(session, frame_number="WBK123456X")
        body = register(api, make.user("dealer"), purchase(items=[bicycle("wbk-123 456x")]))
        assert body["items"][0]["status"] == "police_hold"


def test_an_extended_hold_keeps_the_chain_verifiable_and_a_forged_one_does_not(api, make, session):
    from register.dealers.models import Dealer
    from register.purchases.chain import verify_dealer
    from register.purchases.models import Item

    user = make.user("dealer")
    body = register(api, user)
    item = session.get(Item, body["items"][0]["id"])
    # What the holding-period migration does: a later hold, the registered one kept.
    item.hold_until_registered, item.hold_until = item.hold_until, date(2026, 12, 18)
    session.commit()
    assert verify_dealer(session, session.get(Dealer, user.dealer_id)).problem is None
    item.hold_until_registered = date(2026, 12, 1)
    session.commit()
    assert "was altered" in verify_dealer(session, session.get(Dealer, user.dealer_id)).problem
