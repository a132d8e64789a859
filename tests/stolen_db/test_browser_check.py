"""Someone checks a good on the public page with a real browser, without an account."""

from __future__ import annotations

import pytest

from .helpers import IMEI, add_report

pytestmark = pytest.mark.browser


def test_a_buyer_checks_a_phone_and_is_told_it_is_reported_stolen(
    live_server, page, session, clock
):
    add_report(session, clock, imei=IMEI, brand="Apple")
    session.commit()
    page.goto(live_server.url + "/check")
    page.fill("input[name=identifier]", "49-015420-323751-8")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    answer = page.locator("#answer").inner_text()
    assert "Als gestolen opgegeven" in answer
    assert "0900-8844" in answer
    assert "Een controle is geen garantie." in answer


def test_a_buyer_checks_an_unknown_bicycle_and_is_told_there_is_no_report(live_server, page):
    page.goto(live_server.url + "/check")
    page.fill("input[name=identifier]", "GZ 0000001")
    page.fill("input[name=brand]", "Gazelle")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Geen melding" in page.locator("#answer").inner_text()
    assert page.input_value("input[name=identifier]") == "GZ 0000001"
