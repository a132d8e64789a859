"""The admin invites a municipality employee, who sets a password and signs in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser import log_in
from tests.factories import PASSWORD
from tests.mailcatcher import deliver_mail

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(mail_config):
    return mail_config


def test_the_admin_invites_a_municipality_employee_who_signs_in(
    app, live_server, page, make, mail_catcher
):
    make.municipality("GM0363", "Amsterdam")
    make.user("admin", email="beheer@dor.nl")
    log_in(page, live_server.url, "beheer@dor.nl", PASSWORD)
    page.click("nav >> text=Beheer")
    page.fill('#invite [name="email"]', "medewerker@amsterdam.nl")
    page.select_option('#invite [name="role"]', "municipality")
    page.fill('#invite [name="municipality"]', "GM0363")
    with page.expect_navigation():
        page.click("#invite button[type=submit]")
    assert "medewerker@amsterdam.nl" in page.locator("table.accounts").inner_text()
    with page.expect_navigation():
        page.click("header form[action$='/logout'] button")

    assert deliver_mail(app) == 1
    [mail] = mail_catcher.mails_to("medewerker@amsterdam.nl")
    [url] = re.findall(r"http://\S+", mail.text)
    page.goto(live_server.url + urlsplit(url).path)
    page.fill('[name="password"]', "gemeente-wachtwoord")
    page.fill('[name="confirm"]', "gemeente-wachtwoord")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    log_in(page, live_server.url, "medewerker@amsterdam.nl", "gemeente-wachtwoord")
    nav = page.locator("nav.main-nav").inner_text()
    assert "Lokale regels" in nav and "Medewerkers" in nav
