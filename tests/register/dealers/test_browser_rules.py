"""A municipality sets its holding period on /municipality/rules, in a real browser."""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.factories import PASSWORD
from tests.register.purchases.helpers import purchase, register

pytestmark = pytest.mark.browser


def test_a_municipality_sets_10_days_and_a_new_registration_holds_10_days(
    live_server, page, make, api
):
    town = make.municipality("GM0363", "Amsterdam")
    make.user("municipality", email="regels@amsterdam.nl", municipality=town)
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=town))
    log_in(page, live_server.url, "regels@amsterdam.nl", PASSWORD)
    page.click("nav >> text=Lokale regels")
    assert "5 werkdagen" in page.locator("#current-holding-period").inner_text()
    page.fill('[name="holding_period"]', "10")
    page.select_option('[name="holding_period_unit"]', "days")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("#current-holding-period").inner_text() == "10 dagen"

    body = register(api, dealer_user, purchase("2026-11-17T10:00:00+01:00"))
    assert body["items"][0]["hold_until"] == "2026-12-07"  # Friday 27 November + 10 days


def test_a_holding_period_of_15_days_is_refused_next_to_the_field(live_server, page, make):
    town = make.municipality("GM0363", "Amsterdam")
    make.user("municipality", email="regels@amsterdam.nl", municipality=town)
    log_in(page, live_server.url, "regels@amsterdam.nl", PASSWORD)
    page.goto(live_server.url + "/municipality/rules")
    page.fill('[name="holding_period"]', "15")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.title().startswith("Fout")
    field = page.locator(".field", has=page.locator('[name="holding_period"]'))
    assert field.locator(".error").inner_text() != ""
    assert page.input_value('[name="holding_period"]') == "15"
