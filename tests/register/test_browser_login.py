"""A person logs in with a real browser and sees the navigation of their role."""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_police_officer_logs_in_and_sees_the_police_navigation(live_server, page, make):
    make.user("police", email="agent@politie.nl")
    log_in(page, live_server.url, "agent@politie.nl", PASSWORD)
    nav = page.locator("nav.main-nav").inner_text()
    assert "Treffers" in nav and "Diefstalmeldingen" in nav
    assert "agent@politie.nl" in page.locator("header").inner_text()


def test_the_start_page_switches_to_english(live_server, page):
    page.goto(live_server.url + "/")
    page.click("text=English")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Digital Dealer Register"
