"""A dealer at the counter, in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.factories import PASSWORD

from .helpers import BAD_LUHN_IMEI, IMEI_1

pytestmark = pytest.mark.browser


def fill_seller(page):
    page.fill('[name="seller.name"]', "Jan de Vries")
    page.fill('[name="seller.birth_date"]', "1990-04-01")
    page.fill('[name="seller.address.street"]', "Kerkstraat")
    page.fill('[name="seller.address.house_number"]', "12a")
    page.fill('[name="seller.address.postcode"]', "1017 GC")
    page.fill('[name="seller.address.city"]', "Amsterdam")
    page.select_option('[name="seller.id_document.type"]', "id_card")
    page.fill('[name="seller.id_document.number"]', "IXF123456")


def test_a_dealer_registers_two_items_sees_the_number_and_finds_it(live_server, page, make):
    make.user("dealer", email="balie@fietsen.nl")
    log_in(page, live_server.url, "balie@fietsen.nl", PASSWORD)
    page.goto(live_server.url + "/purchases/new")
    page.fill('[name="acquired_at"]', "2026-11-27T09:30")
    fill_seller(page)
    page.select_option('[name="items.0.category"]', "phone")
    page.fill('[name="items.0.brand"]', "Apple")
    page.fill('[name="items.0.imei"]', IMEI_1)
    page.fill('[name="items.0.price"]', "250")
    page.click("#add-item")
    page.select_option('[name="items.1.category"]', "bicycle")
    page.fill('[name="items.1.brand"]', "Gazelle")
    page.fill('[name="items.1.frame_number"]', "WBK123456X")
    page.fill('[name="items.1.price"]', "120,50")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Inkoop ingeschreven"
    assert page.locator(".sequence-number").inner_text() == "1"
    page.goto(live_server.url + "/purchases")
    page.fill("#identifier", "WBK 123456 X")
    with page.expect_navigation():
        page.click("main form[role=search] button[type=submit]")
    table = page.locator("table.register").inner_text()
    assert "Jan de Vries" in table and "Gazelle" in table and "Apple" in table


def test_an_invalid_imei_shows_the_error_next_to_the_field_and_keeps_the_input(
    live_server, page, make
):
    make.user("dealer", email="balie@telefoons.nl")
    log_in(page, live_server.url, "balie@telefoons.nl", PASSWORD)
    page.goto(live_server.url + "/purchases/new")
    page.fill('[name="acquired_at"]', "2026-11-27T09:30")
    fill_seller(page)
    page.select_option('[name="items.0.category"]', "phone")
    page.fill('[name="items.0.brand"]', "Samsung")
    page.fill('[name="items.0.imei"]', BAD_LUHN_IMEI)
    page.fill('[name="items.0.price"]', "99,95")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    field = page.locator(".field", has=page.locator('[name="items.0.imei"]'))
    assert "controlecijfer" in field.locator(".error").inner_text()
    assert page.locator('[name="items.0.imei"]').get_attribute("aria-invalid") == "true"
    assert page.input_value('[name="items.0.imei"]') == BAD_LUHN_IMEI
    assert page.input_value('[name="items.0.brand"]') == "Samsung"
    assert page.input_value('[name="items.0.price"]') == "99,95"
    assert page.input_value('[name="seller.name"]') == "Jan de Vries"
    assert page.input_value('[name="seller.id_document.type"]') == "id_card"
