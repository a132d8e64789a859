"""A dealer manages an API token on /account in a real browser."""

from __future__ import annotations

import pytest
import requests

from tests.browser import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_dealer_creates_a_token_uses_it_revokes_it_and_it_is_refused(live_server, page, make):
    make.user("dealer", email="kassa@winkel.nl")
    log_in(page, live_server.url, "kassa@winkel.nl", PASSWORD)
    page.click("header >> text=kassa@winkel.nl")
    assert page.locator("h1").inner_text() == "Mijn account"
    page.fill('[name="name"]', "kassa 1")
    with page.expect_navigation():
        page.click("#create-token")
    token = page.locator("#new-token").inner_text()
    api = live_server.url + "/api/v1/purchases"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=headers, timeout=10).status_code == 200

    page.goto(live_server.url + "/account")
    assert page.locator("#new-token").count() == 0  # shown only once
    row = page.locator("table.tokens tr", has_text="kassa 1")
    with page.expect_navigation():
        row.locator("button").click()
    assert page.locator("table.tokens").count() == 0
    assert requests.get(api, headers=headers, timeout=10).status_code == 401
