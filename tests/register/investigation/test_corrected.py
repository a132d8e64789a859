"""Searching corrected entries: found by what they say now and by what they said before."""

from __future__ import annotations

from tests.register.purchases.helpers import IMEI_1, IMEI_2, IMEI_3, phone

from .test_search import found, laptop, registered, search


def correct(api, user, purchase_id, *item_changes):
    response = api.post(
        f"/api/v1/purchases/{purchase_id}/corrections",
        {"reason": "typo at the counter", "changes": {"items": list(item_changes)}},
        as_=user,
    )
    assert response.status_code == 201, response.json
    return response.json


def only_result(response) -> dict:
    assert response.status_code == 200, response.json
    assert response.json["total"] == 1, response.json
    return response.json["items"][0]


def phone_corrected_from_imei_1_to_2(api, make) -> tuple:
    """A police officer, and a phone registered with IMEI_1 that a correction made IMEI_2."""
    dealer, police = make.user("dealer"), make.user("police")
    entry = registered(api, dealer, [phone(IMEI_1)])
    item_id = entry["items"][0]["id"]
    correct(api, dealer, entry["id"], {"id": item_id, "imei": IMEI_2})
    return police, item_id


class TestCorrectedIdentifier:
    def test_a_corrected_imei_is_found_by_its_new_value_and_shown(self, api, make):
        police, item_id = phone_corrected_from_imei_1_to_2(api, make)
        result = only_result(search(api, police, identifier=IMEI_2))
        assert result["item"]["id"] == item_id
        assert result["item"]["imei"] == IMEI_2
        assert result["match"] == {
            "kind": "exact",
            "identifier_type": "imei",
            "confidence": 1.0,
            "earlier_value": False,
        }

    def test_the_replaced_imei_still_finds_the_item_and_says_it_was_replaced(self, api, make):
        police, item_id = phone_corrected_from_imei_1_to_2(api, make)
        result = only_result(search(api, police, identifier=IMEI_1))
        assert result["item"]["id"] == item_id
        assert result["item"]["imei"] == IMEI_2  # what the entry says now
        assert result["match"]["kind"] == "exact"
        assert result["match"]["earlier_value"] is True

    def test_every_value_of_several_corrections_finds_the_item(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [laptop("C02XK1ABCDEF")])
        item_id = entry["items"][0]["id"]
        correct(api, dealer, entry["id"], {"id": item_id, "serial_number": "FVFZ77HHJK01"})
        correct(api, dealer, entry["id"], {"id": item_id, "serial_number": "DNPX9911QRST"})
        for serial, earlier in (
            ("C02XK1ABCDEF", True),
            ("FVFZ77HHJK01", True),
            ("DNPX9911QRST", False),
        ):
            result = only_result(search(api, police, identifier=serial))
            assert result["item"]["serial_number"] == "DNPX9911QRST"
            assert (result["match"]["kind"], result["match"]["earlier_value"]) == (
                "exact",
                earlier,
            )

    def test_a_correction_of_another_item_leaves_the_other_items_as_they_were(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [phone(IMEI_1), phone(IMEI_3)])
        first, second = (item["id"] for item in entry["items"])
        correct(api, dealer, entry["id"], {"id": first, "imei": IMEI_2})
        result = only_result(search(api, police, identifier=IMEI_3))
        assert result["item"]["id"] == second
        assert result["match"]["earlier_value"] is False
        assert found(search(api, police, identifier=IMEI_2)) == [first]


class TestCorrectedPartial:
    def test_part_of_the_new_and_of_the_replaced_number_find_the_item(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [laptop("C02XK1ABCDEF")])
        item_id = entry["items"][0]["id"]
        registered(api, dealer, [laptop("QQQ777777Q")])
        correct(api, dealer, entry["id"], {"id": item_id, "serial_number": "FVFZ77HHJK01"})
        new = only_result(search(api, police, partial="77hhjk"))
        assert new["item"]["id"] == item_id
        assert new["match"] == {
            "kind": "partial",
            "identifier_type": "serial_number",
            "confidence": None,
            "earlier_value": False,
        }
        old = only_result(search(api, police, partial="xk1-abc"))
        assert old["item"]["id"] == item_id
        assert old["match"]["earlier_value"] is True
        # Pieces of both values that neither value holds as one piece find nothing.
        assert found(search(api, police, partial="ABCDFVFZ")) == []

    def test_a_number_corrected_into_a_placeholder_is_not_found_by_the_placeholder(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [laptop("C02XK1ABCDEF")])
        item_id = entry["items"][0]["id"]
        correct(api, dealer, entry["id"], {"id": item_id, "serial_number": "onbekend"})
        assert found(search(api, police, partial="NBEK")) == []
        assert found(search(api, police, partial="XK1ABC")) == [item_id]


class TestCorrectedWords:
    def test_new_and_replaced_words_find_the_item_which_shows_the_new(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [phone(IMEI_1, description="black, cracked screen")])
        item_id = entry["items"][0]["id"]
        correct(
            api, dealer, entry["id"],
            {"id": item_id, "brand": "Samsung", "model": "Galaxy S21", "description": "blue"},
        )  # fmt: skip
        result = only_result(search(api, police, q="galaxy blue"))
        assert (result["item"]["brand"], result["item"]["description"]) == ("Samsung", "blue")
        assert found(search(api, police, q="iphone cracked")) == [item_id]
        assert found(search(api, police, q="galaxy cracked")) == [item_id]  # words of both

    def test_a_correction_of_the_price_alone_changes_nothing_in_the_search(self, api, make):
        dealer, police = make.user("dealer"), make.user("police")
        entry = registered(api, dealer, [phone(IMEI_1)])
        item_id = entry["items"][0]["id"]
        correct(api, dealer, entry["id"], {"id": item_id, "price_cents": 19900})
        result = only_result(search(api, police, identifier=IMEI_1))
        assert result["item"]["price_cents"] == 19900
        assert result["match"]["earlier_value"] is False
        assert found(search(api, police, q="cracked")) == [item_id]
