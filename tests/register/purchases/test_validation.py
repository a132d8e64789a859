"""Every validation rule gives a clear error at its field path, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from register.dealers.models import Dealer
from register.purchases.models import Item, Purchase, Seller

from .helpers import BAD_LUHN_IMEI, IMEI_1, bicycle, phone, purchase


def assert_nothing_stored(session):
    """Nothing was committed (the request's own session is rolled back as at its end)."""
    session.rollback()
    for model in (Purchase, Item, Seller):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert all(d.last_sequence_number == 0 for d in session.scalars(select(Dealer)))


def errors_of(api, body, as_):
    response = api.post("/api/v1/purchases", body, as_=as_)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    return response.json["errors"]


@pytest.fixture
def dealer_user(make):
    return make.user("dealer")


def with_item(**item):
    return purchase(items=[phone(), item])


CASES = {
    "imei_bad_check_digit": (
        with_item(**phone(BAD_LUHN_IMEI)),
        "items.1.imei",
        "This IMEI's check digit is wrong: check the number on the device (dial *#06#).",
    ),
    "imei_too_short": (
        with_item(**phone("49015420323751")),
        "items.1.imei",
        "An IMEI has 15 digits; this one has 14.",
    ),
    "imei_letters": (
        with_item(**phone("49015420323751X")),
        "items.1.imei",
        "An IMEI contains digits only.",
    ),
    "phone_without_identifier": (
        with_item(**phone(None)),
        "items.1.imei",
        "Enter the IMEI or the serial number: phones and tablets need one.",
    ),
    "tablet_without_identifier": (
        with_item(category="tablet", price_cents=100),
        "items.1.imei",
        "Enter the IMEI or the serial number: phones and tablets need one.",
    ),
    "laptop_without_serial": (
        with_item(category="laptop", imei=IMEI_1, price_cents=100),
        "items.1.serial_number",
        "Enter the serial number: computers and other ICT need one.",
    ),
    "other_ict_without_serial": (
        with_item(category="ict_other", price_cents=100),
        "items.1.serial_number",
        "Enter the serial number: computers and other ICT need one.",
    ),
    "bicycle_without_frame": (
        with_item(**bicycle(None)),
        "items.1.frame_number",
        "Enter the frame number: bicycles and e-bikes need one.",
    ),
    "e_bike_without_frame": (
        with_item(category="e_bike", serial_number="X1", price_cents=100),
        "items.1.frame_number",
        "Enter the frame number: bicycles and e-bikes need one.",
    ),
    "unknown_category": (
        with_item(category="car", price_cents=100),
        "items.1.category",
        "Choose a category from the list: phone, tablet, laptop, computer, ict_other, camera, "
        "audio_video, game_console, bicycle, e_bike, bicycle_part, moped, vehicle_part, watch, "
        "jewellery, precious_metal, precious_stone, art, tool, other.",
    ),
    "negative_price": (
        with_item(**phone(price_cents=-1)),
        "items.1.price_cents",
        "The price cannot be negative.",
    ),
    "price_not_whole_cents": (
        with_item(**phone(price_cents=12.5)),
        "items.1.price_cents",
        "Enter the price as a whole number of cents.",
    ),
    "purchase_without_price": (
        with_item(**phone(price_cents=None)),
        "items.1.price_cents",
        "Enter the price paid, in cents.",
    ),
    "no_items": (purchase(items=[]), "items", "Register at least one item."),
    "items_missing": (
        {k: v for k, v in purchase().items() if k != "items"},
        "items",
        "Register at least one item.",
    ),
    "acquisition_in_the_future": (
        purchase("2026-11-28T10:00:00+01:00"),
        "acquired_at",
        "The acquisition cannot be in the future.",
    ),
    "acquired_at_not_a_date": (
        purchase("yesterday"),
        "acquired_at",
        "Enter the date and time of acquisition, e.g. 2026-11-27T10:15.",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_rule_names_its_field_with_a_clear_message(api, dealer_user, session, case):
    body, path, message = CASES[case]
    errors = errors_of(api, body, dealer_user)
    assert errors == {path: [message]}
    assert_nothing_stored(session)


def seller_case(path: str, value):
    body = purchase()
    target = body["seller"]
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return body


SELLER_CASES = {
    "postcode_format": (
        "address.postcode",
        "10171GC",
        "Enter a Dutch postcode as four digits and two letters, e.g. 1017 GC.",
    ),
    "postcode_missing_in_nl": ("address.postcode", None, None),
    "document_type": (
        "id_document.type",
        "library_card",
        "Choose the kind of identity document: passport, id_card, driving_licence, "
        "residence_permit.",
    ),
    "document_number": (
        "id_document.number",
        "12#4",
        "Enter the document number as printed: 6 to 20 letters and digits.",
    ),
    "document_number_missing": ("id_document.number", None, "This field is required."),
    "issuing_country": (
        "id_document.issuing_country",
        "Nederland",
        "Use the two-letter country code, e.g. NL, BE or DE.",
    ),
    "name_missing": ("name", None, "This field is required."),
    "underage": (
        "birth_date",
        "2008-11-28",
        "The seller must be at least 18 years old (born on or before 2008-11-27).",
    ),
    "birth_in_future": ("birth_date", "2027-01-01", "The birth date cannot be in the future."),
}


@pytest.mark.parametrize("case", SELLER_CASES, ids=str)
def test_each_seller_rule_names_its_field(api, dealer_user, session, case):
    path, value, message = SELLER_CASES[case]
    body = seller_case(path, value)
    errors = errors_of(api, body, dealer_user)
    if case == "postcode_missing_in_nl":
        assert errors == {"seller.address.postcode": ["Enter the postcode."]}
    else:
        assert errors == {f"seller.{path}": [message]}
    assert_nothing_stored(session)


def test_a_foreign_address_needs_no_dutch_postcode(api, dealer_user):
    body = purchase()
    body["seller"]["address"].update(postcode="D-10115", city="Berlin", country="DE")
    assert api.post("/api/v1/purchases", body, as_=dealer_user).status_code == 201


def test_a_seller_exactly_18_on_the_day_of_acquisition_may_sell(api, dealer_user):
    body = seller_case("birth_date", "2008-11-27")
    assert api.post("/api/v1/purchases", body, as_=dealer_user).status_code == 201


def test_the_minimum_seller_age_is_the_municipalitys_rule(api, make):
    town = make.municipality("GM0344", "Utrecht", minimum_seller_age=16)
    user = make.user("dealer", dealer=make.dealer(municipality=town))
    assert api.post("/api/v1/purchases", seller_case("birth_date", "2010-01-01"), as_=user)
    errors = errors_of(api, seller_case("birth_date", "2010-11-28"), user)
    assert errors == {
        "seller.birth_date": [
            "The seller must be at least 16 years old (born on or before 2010-11-27)."
        ]
    }


def test_a_purchase_without_seller_is_refused(api, dealer_user, session):
    errors = errors_of(api, purchase(seller=None), dealer_user)
    assert errors == {
        "seller": ["Enter the seller: name, birth date, address and identity document."]
    }
    assert_nothing_stored(session)


def test_every_error_is_reported_at_once(api, dealer_user, session):
    body = purchase(items=[phone(BAD_LUHN_IMEI), bicycle(None, price_cents=-5)])
    body["seller"]["address"]["postcode"] = "ABC"
    errors = errors_of(api, body, dealer_user)
    assert set(errors) == {
        "items.0.imei",
        "items.1.frame_number",
        "items.1.price_cents",
        "seller.address.postcode",
    }
    assert_nothing_stored(session)


def test_an_unknown_field_is_named(api, dealer_user):
    errors = errors_of(api, with_item(**phone(imie="1")), dealer_user)
    assert errors == {"items.1.imie": ["Unknown field."]}


def test_a_body_that_is_not_json_is_refused_with_415(api, dealer_user):
    response = api.client.post(
        "/api/v1/purchases",
        data="acquired_at=today",
        content_type="text/plain",
        headers=api.headers(dealer_user),
    )
    assert response.status_code == 415


def test_an_empty_identifier_counts_as_missing(api, dealer_user):
    errors = errors_of(api, with_item(**phone("  ")), dealer_user)
    assert errors == {
        "items.1.imei": ["Enter the IMEI or the serial number: phones and tablets need one."]
    }


def test_a_phone_with_only_a_serial_number_is_accepted(api, dealer_user):
    body = with_item(**phone(None, serial_number="F2LXK123"))
    assert api.post("/api/v1/purchases", body, as_=dealer_user).status_code == 201


def test_a_failure_after_numbering_leaves_no_gap(api, dealer_user, session, monkeypatch):
    """Even an error after the number was taken rolls everything back (no gap, no half)."""
    import register.purchases.service as service

    def boom(*args, **kwargs):
        raise RuntimeError("matcher down")

    monkeypatch.setattr(service, "check_items", boom)
    api.client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = api.post("/api/v1/purchases", purchase(), as_=dealer_user)
    assert response.status_code == 500
    assert_nothing_stored(session)
    monkeypatch.undo()
    body = api.post("/api/v1/purchases", purchase(), as_=dealer_user).json
    assert body["sequence_number"] == 1
