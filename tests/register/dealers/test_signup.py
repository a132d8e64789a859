"""The DOL sign-up confirms its address by mail before the start report is filed, and
never says whether an address has an account."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from register.accounts.models import User
from register.dealers.meldplicht import DolReport
from register.dealers.models import Dealer
from tests.mailcatcher import deliver_mail

from .test_meldplicht_web import FORM


@pytest.fixture
def app_config(mail_config):
    return mail_config


def signup(client, email="nieuw@fietsen.nl"):
    return client.post(
        "/meldplicht/register",
        data={**FORM, "kind": "commercial", "email": email,
              "password": "lang-genoeg-wachtwoord", "password_repeat": "lang-genoeg-wachtwoord"},
    )  # fmt: skip


def test_the_start_report_reaches_the_municipality_only_after_the_address_is_confirmed(
    app, client, make, session, mail_catcher
):
    town = make.municipality()
    make.user("municipality", municipality=town, email="loket@amsterdam.nl")
    response = signup(client)
    assert response.status_code == 200
    assert session.scalar(select(Dealer)) is None
    assert session.scalar(select(DolReport)) is None

    deliver_mail(app)
    [mail] = mail_catcher.mails
    assert mail.recipients == ("nieuw@fietsen.nl",)
    path = urlsplit(re.findall(r"http://\S+", mail.text)[0]).path
    assert client.get(path).status_code == 200  # a click shows a button; nothing is filed
    assert session.scalar(select(DolReport)) is None
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 404  # once only

    session.expire_all()
    user = session.scalar(select(User).where(User.email == "nieuw@fietsen.nl"))
    dealer = session.get(Dealer, user.dealer_id)
    assert dealer.status == "pending" and dealer.name == "Fietsenmaker Oost"
    assert session.scalar(select(DolReport)).type == "start"
    assert "Fietsenmaker Oost" in client.get("/meldplicht").get_data(as_text=True)
    deliver_mail(app)
    assert mail_catcher.mails_to("loket@amsterdam.nl")  # now the municipality hears of it
    other = app.test_client()
    login = {"email": "nieuw@fietsen.nl", "password": "lang-genoeg-wachtwoord"}
    assert other.post("/login", data=login).status_code == 302


def without_csrf(response) -> str:
    """The page without its CSRF tokens (each session has its own)."""
    return re.sub(r'value="[\w.-]{40,}"', "", response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["dealer", "police", "admin"])
def test_signing_up_with_an_address_that_has_an_account_says_nothing_of_it(
    app, client, make, session, mail_catcher, role
):
    make.municipality()
    make.user(role, email="bestaand@politie.nl")
    dealers = len(session.scalars(select(Dealer)).all())
    known = signup(client, "bestaand@politie.nl")
    unknown = signup(app.test_client(), "onbekend@fietsen.nl")
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    deliver_mail(app)
    assert mail_catcher.mails_to("bestaand@politie.nl") == []
    assert len(session.scalars(select(Dealer)).all()) == dealers
