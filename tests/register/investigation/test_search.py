"""Searching every register: each criterion, scope, the purpose rule, the audit, pages."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from register.accounts.models import AuditEntry
from tests.register.purchases.helpers import (
    IMEI_1,
    IMEI_2,
    IMEI_3,
    SELLER,
    bicycle,
    phone,
    purchase,
)

SEARCH = "/api/v1/search/items"
PURPOSE = "PL0900-2026-77"


def laptop(serial: str, **overrides) -> dict:
    item = {
        "category": "laptop",
        "brand": "Apple",
        "model": "MacBook Air",
        "serial_number": serial,
        "description": "silver, charger included",
        "price_cents": 40000,
    }
    item.update(overrides)
    return item


def seller(name="Jan de Vries", birth_date="1990-04-01", document="IXF123456", postcode="1017 GC"):
    data = copy.deepcopy(SELLER)
    data.update(name=name, birth_date=birth_date)
    data["id_document"]["number"] = document
    data["address"]["postcode"] = postcode
    return data


def registered(api, dealer_user, items, acquired_at="2026-11-27T09:15:00+01:00", **seller_data):
    body = purchase(acquired_at=acquired_at, items=items, seller=seller(**seller_data))
    response = api.post("/api/v1/purchases", body, as_=dealer_user)
    assert response.status_code == 201, response.json
    return response.json


def search(api, who, **params):
    params.setdefault("purpose", PURPOSE)
    return api.get(SEARCH, as_=who, query_string=params)


def found(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [result["item"]["id"] for result in response.json["items"]]


@pytest.fixture
def dealer(make):
    return make.user("dealer")


@pytest.fixture
def police(make):
    return make.user("police")


class TestIdentifier:
    def test_an_identifier_finds_its_item_at_every_tier_and_says_which(self, api, make, police):
        first = registered(api, make.user("dealer"), [laptop("C02XK1ABCDEF")])
        second = registered(api, make.user("dealer"), [laptop("C02-xk1-abcdef")])
        look = registered(api, make.user("dealer"), [laptop("CO2XKIABCDEF")])
        near = registered(api, make.user("dealer"), [laptop("C02XK1ABCDEE")])
        other_brand = registered(
            api, make.user("dealer"), [laptop("C02XK1ABCDEE", brand="Dell", model="XPS")]
        )
        registered(api, make.user("dealer"), [laptop("ZZZ999999999")])
        response = search(api, police, identifier="C02XK1ABCDEF", brand="Apple")
        kinds = {r["item"]["id"]: r["match"]["kind"] for r in response.json["items"]}
        assert kinds == {
            first["items"][0]["id"]: "exact",
            second["items"][0]["id"]: "normalized",
            look["items"][0]["id"]: "lookalike",
            near["items"][0]["id"]: "near",
        }
        assert other_brand["items"][0]["id"] not in kinds  # near needs the same brand
        assert response.json["items"][0]["match"]["identifier_type"] == "serial_number"

    def test_an_imei_finds_the_phone_typed_with_dashes(self, api, dealer, police):
        entry = registered(api, dealer, [phone(IMEI_1)])
        registered(api, dealer, [phone(IMEI_2)])
        response = search(api, police, identifier="49-015420-323751-8")
        assert found(response) == [entry["items"][0]["id"]]
        assert response.json["items"][0]["match"]["kind"] == "normalized"

    def test_a_placeholder_is_no_identifier(self, api, dealer, police):
        registered(api, dealer, [laptop("onbekend")])
        for text in ("onbekend", "n/a", "-", "000000"):
            response = search(api, police, identifier=text)
            assert response.status_code == 422, text
            assert "identifier" in response.json["errors"]


class TestPartial:
    def test_part_of_a_number_finds_every_identifier_containing_it(self, api, dealer, police):
        frame = registered(api, dealer, [laptop("WBK123456X")])
        imei = registered(api, dealer, [phone(IMEI_3)])  # 352099001761481
        registered(api, dealer, [laptop("QQQ777777Q")])
        assert found(search(api, police, partial="k12-34")) == [frame["items"][0]["id"]]
        assert found(search(api, police, partial="99001761")) == [imei["items"][0]["id"]]
        assert search(api, police, partial="3456").json["items"][0]["match"] == {
            "kind": "partial",
            "identifier_type": "serial_number",
            "confidence": None,
            "earlier_value": False,
        }
        bike = registered(api, dealer, [bicycle("GZ-2024-88K7")])
        (result,) = search(api, police, partial="2488k").json["items"]
        assert result["item"]["id"] == bike["items"][0]["id"]
        assert result["match"]["identifier_type"] == "frame_number"

    def test_fewer_than_four_characters_are_refused(self, api, police):
        response = search(api, police, partial="K1-23")
        assert response.status_code == 200
        response = search(api, police, partial="K1-2")
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["partial"]

    def test_placeholders_are_never_found_by_part(self, api, dealer, police):
        registered(api, dealer, [laptop("ONBEKEND")])
        registered(api, dealer, [laptop("0000000000")])
        assert found(search(api, police, partial="NBEK")) == []
        assert search(api, police, partial="0000").status_code == 422


class TestSeller:
    def test_the_identity_document_finds_everything_its_holder_sold(self, api, make, police):
        a = registered(api, make.user("dealer"), [phone(IMEI_1)], document="IXF123456")
        b = registered(api, make.user("dealer"), [phone(IMEI_2)], document="IXF123456")
        registered(api, make.user("dealer"), [phone(IMEI_3)], document="NW9999999")
        response = search(api, police, document_number="ixf 123456")
        assert found(response) == [b["items"][0]["id"], a["items"][0]["id"]]
        assert response.json["items"][0]["seller"]["id_document"]["number"] == "IXF123456"

    def test_the_name_with_or_without_birth_date(self, api, dealer, police):
        one = registered(api, dealer, [phone(IMEI_1)], name="Jan de Vries")
        two = registered(api, dealer, [phone(IMEI_2)], name="Jan de Vries", birth_date="1970-01-01")
        registered(api, dealer, [phone(IMEI_3)], name="Piet Jansen")
        assert found(search(api, police, seller_name="jan  de vries")) == [
            two["items"][0]["id"],
            one["items"][0]["id"],
        ]
        assert found(search(api, police, seller_name="Jan de Vries", birth_date="1990-04-01")) == [
            one["items"][0]["id"]
        ]

    def test_a_birth_date_needs_a_name(self, api, police):
        response = search(api, police, birth_date="1990-04-01")
        assert response.status_code == 422
        assert "seller_name" in response.json["errors"]

    def test_the_postcode_without_regard_to_spaces(self, api, dealer, police):
        here = registered(api, dealer, [phone(IMEI_1)], postcode="1017 GC")
        registered(api, dealer, [phone(IMEI_2)], postcode="3011 AB")
        assert found(search(api, police, postcode="1017gc")) == [here["items"][0]["id"]]


class TestGoods:
    def test_words_in_brand_model_and_description_all_must_be_there(self, api, dealer, police):
        black = registered(api, dealer, [phone(IMEI_1, description="black, cracked screen")])
        registered(api, dealer, [phone(IMEI_2, description="white, as new")])
        mac = registered(api, dealer, [laptop("C02XK1ABCDEF")])
        assert found(search(api, police, q="Cracked iPhone")) == [black["items"][0]["id"]]
        assert found(search(api, police, q="apple")) == [
            mac["items"][0]["id"],
            found(search(api, police, q="white"))[0],
            black["items"][0]["id"],
        ]
        assert found(search(api, police, q="macbook cracked")) == []

    def test_category_acquisition_dates_and_municipality(self, api, make, police):
        amsterdam = make.municipality()
        rotterdam = make.municipality("GM0599", "Rotterdam")
        here = make.user("dealer", dealer=make.dealer(municipality=amsterdam))
        there = make.user("dealer", dealer=make.dealer(municipality=rotterdam))
        old = registered(api, here, [phone(IMEI_1)], acquired_at="2026-11-20T10:00:00+01:00")
        new = registered(api, here, [laptop("C02XK1ABCDEF")])
        far = registered(api, there, [phone(IMEI_2)])
        assert found(search(api, police, category="laptop")) == [new["items"][0]["id"]]
        assert found(search(api, police, **{"from": "2026-11-21"})) == [
            far["items"][0]["id"],
            new["items"][0]["id"],
        ]
        assert found(search(api, police, to="2026-11-21")) == [old["items"][0]["id"]]
        assert found(search(api, police, municipality="GM0599")) == [far["items"][0]["id"]]
        unknown = search(api, police, municipality="GM9999")
        assert unknown.status_code == 422 and "municipality" in unknown.json["errors"]

    def test_criteria_combine(self, api, make, police):
        dealer = make.user("dealer")
        registered(api, dealer, [phone(IMEI_1)], document="IXF123456")
        mine = registered(api, dealer, [laptop("C02XK1ABCDEF")], document="IXF123456")
        assert found(search(api, police, document_number="IXF123456", category="laptop")) == [
            mine["items"][0]["id"]
        ]


class TestAnswer:
    def test_results_are_newest_first_with_a_cursor_and_a_count(self, api, dealer, police):
        ids = [registered(api, dealer, [phone(IMEI_1)])["items"][0]["id"] for _ in range(5)]
        first = search(api, police, identifier=IMEI_1, per_page=2)
        assert found(first) == ids[::-1][:2]
        assert first.json["total"] == 5
        second = search(api, police, identifier=IMEI_1, per_page=2, cursor=first.json["next"])
        assert found(second) == ids[::-1][2:4]
        third = search(api, police, identifier=IMEI_1, per_page=2, cursor=second.json["next"])
        assert found(third) == ids[:1]
        assert third.json["next"] is None
        by_page = search(api, police, identifier=IMEI_1, per_page=2, page=2)
        assert found(by_page) == ids[::-1][2:4]
        assert by_page.json["pages"] == 3

    def test_the_count_stops_at_its_cap_and_says_there_are_more(
        self, api, dealer, police, monkeypatch
    ):
        ids = [registered(api, dealer, [phone(IMEI_1)])["items"][0]["id"] for _ in range(3)]
        monkeypatch.setattr("register.investigation.search.TOTAL_CAP", 3)
        exact = search(api, police, identifier=IMEI_1)
        assert (exact.json["total"], exact.json["total_capped"]) == (3, False)
        monkeypatch.setattr("register.investigation.search.TOTAL_CAP", 2)
        capped = search(api, police, identifier=IMEI_1, per_page=2)
        assert (capped.json["total"], capped.json["total_capped"]) == (2, True)
        assert found(capped) == ids[::-1][:2]
        rest = search(api, police, identifier=IMEI_1, per_page=2, cursor=capped.json["next"])
        assert found(rest) == ids[:1]

    def test_words_page_newest_first_with_a_cursor(self, api, dealer, police):
        ids = [
            registered(api, dealer, [phone(imei, description="red case")])["items"][0]["id"]
            for imei in (IMEI_1, IMEI_2, IMEI_3)
        ]
        registered(api, dealer, [laptop("C02XK1ABCDEF", description="red sleeve")])
        first = search(api, police, q="red iphone", per_page=2)
        assert found(first) == ids[::-1][:2] and first.json["total"] == 3
        second = search(api, police, q="red iphone", per_page=2, cursor=first.json["next"])
        assert found(second) == ids[:1] and second.json["next"] is None

    def test_each_result_has_item_status_purchase_dealer_and_for_police_the_seller(
        self, api, dealer, police, make
    ):
        entry = registered(api, dealer, [phone(IMEI_1)])
        (result,) = search(api, police, identifier=IMEI_1).json["items"]
        assert result["item"]["imei"] == IMEI_1
        assert result["status"] == "holding"
        assert result["purchase"]["id"] == entry["id"]
        assert result["dealer"]["municipality"] == "GM0363"
        assert result["seller"]["name"] == "Jan de Vries"
        inspector = make.user("enforcement")
        (result,) = search(api, inspector, identifier=IMEI_1).json["items"]
        assert result["seller"] is None

    def test_a_search_needs_a_criterion(self, api, police):
        response = search(api, police)
        assert response.status_code == 422


class TestScope:
    def test_dealers_municipality_staff_and_the_public_may_not_search(self, api, make):
        for role in ("dealer", "municipality", "admin"):
            assert search(api, make.user(role), identifier=IMEI_1).status_code == 403, role
        assert api.get(SEARCH, query_string={"identifier": IMEI_1}).status_code == 401

    def test_an_officer_of_another_municipality_finds_nothing_of_this_one(self, api, make):
        amsterdam = make.municipality()
        rotterdam = make.municipality("GM0599", "Rotterdam")
        dealer = make.user("dealer", dealer=make.dealer(municipality=amsterdam))
        entry = registered(api, dealer, [phone(IMEI_1)])
        theirs = make.user("enforcement", municipality=rotterdam)
        ours = make.user("enforcement", municipality=amsterdam)
        response = search(api, theirs, identifier=IMEI_1)
        assert found(response) == [] and response.json["total"] == 0
        assert found(search(api, theirs, document_number="IXF123456")) == []
        assert found(search(api, ours, identifier=IMEI_1)) == [entry["items"][0]["id"]]


class TestPurposeAndAudit:
    def test_the_purpose_is_required(self, api, dealer, police):
        registered(api, dealer, [phone(IMEI_1)])
        response = api.get(SEARCH, as_=police, query_string={"identifier": IMEI_1})
        assert response.status_code == 422
        assert response.json["errors"] == {
            "purpose": ["State the purpose: a case number or reason."]
        }

    def test_every_search_is_audited_with_its_criteria(self, api, dealer, police, session):
        entry = registered(api, dealer, [phone(IMEI_1)])
        search(api, police, identifier=IMEI_1, category="phone")
        search(api, police, seller_name="Nobody")
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.user_id, e.action, e.purpose) for e in entries] == [
            (police.id, "search_items", PURPOSE),
            (police.id, "search_items", PURPOSE),
        ]
        assert entries[0].details["criteria"] == {"identifier": IMEI_1, "category": "phone"}
        assert entries[0].details["items"] == [entry["items"][0]["id"]]
        assert entries[0].details["purchases"] == [entry["id"]]
        assert entries[1].details == {
            "criteria": {"seller_name": "Nobody"},
            "total": 0,
            "items": [],
            "purchases": [],
            "sellers_shown": True,
        }

    def test_a_refused_search_is_not_audited(self, api, police, session):
        search(api, police, partial="abc")
        assert session.scalars(select(AuditEntry)).all() == []
