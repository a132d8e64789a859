"""Invitations and password resets by mail (real SMTP in the test process), and sessions
that end on the server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD
from tests.mailcatcher import deliver_mail


@pytest.fixture
def app_config(mail_config):
    return mail_config


def link_in(mail) -> str:
    [url] = re.findall(r"http://\S+", mail.text)
    return urlsplit(url).path


def log_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_an_invitation_arrives_its_link_sets_a_password_once_and_the_account_signs_in(
    app, api, make, client, mail_catcher
):
    make.municipality("GM0363", "Amsterdam")
    response = api.post(
        "/api/v1/accounts",
        {"email": "Nieuw@Amsterdam.nl", "role": "municipality", "municipality": "GM0363"},
        as_="admin",
    )
    assert response.status_code == 201, response.json
    assert response.json["email"] == "nieuw@amsterdam.nl"
    assert response.json["municipality"] == "GM0363"
    assert mail_catcher.mails == []  # only the worker sends, after the commit

    assert deliver_mail(app) == 1
    [mail] = mail_catcher.mails_to("nieuw@amsterdam.nl")
    assert mail.subject == "Uw account bij het Digitaal Opkopers Register"
    path = link_in(mail)
    assert path.startswith("/invitation/")
    assert log_in(client, "nieuw@amsterdam.nl", "een-nieuw-wachtwoord").status_code == 422

    assert client.get(path).status_code == 200
    form = {"password": "een-nieuw-wachtwoord", "confirm": "een-nieuw-wachtwoord"}
    assert client.post(path, data=form).status_code == 302
    assert client.get(path).status_code == 404
    assert (
        client.post(
            path, data={**form, "password": "nog-een-ander", "confirm": "nog-een-ander"}
        ).status_code
        == 404
    )

    assert log_in(client, "nieuw@amsterdam.nl", "een-nieuw-wachtwoord").status_code == 302
    assert client.get("/account").status_code == 200


def test_an_invitation_link_expires_after_72_hours(app, api, make, client, clock, mail_catcher):
    make.municipality("GM0363", "Amsterdam")
    api.post("/api/v1/accounts", {"email": "laat@amsterdam.nl", "role": "enforcement"},
             as_=make.user("municipality"))  # fmt: skip
    deliver_mail(app)
    path = link_in(mail_catcher.mails_to("laat@amsterdam.nl")[0])
    clock.advance(hours=71)
    assert client.get(path).status_code == 200
    clock.advance(hours=2)
    assert client.get(path).status_code == 404


def test_a_reset_for_an_unknown_address_sends_nothing_and_answers_like_a_known_one(
    app, make, client, mail_catcher
):
    make.user("dealer", email="bekend@winkel.nl")
    unknown = client.post("/password/forgot", data={"email": "onbekend@winkel.nl"})
    known = client.post("/password/forgot", data={"email": "bekend@winkel.nl"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data(as_text=True) == known.get_data(as_text=True)

    assert deliver_mail(app) == 1
    assert mail_catcher.mails_to("onbekend@winkel.nl") == []
    [mail] = mail_catcher.mails_to("bekend@winkel.nl")
    path = link_in(mail)
    assert path.startswith("/password/reset/")
    form = {"password": "heel-nieuw-123", "confirm": "heel-nieuw-123"}
    assert client.post(path, data=form).status_code == 302
    assert client.post(path, data=form).status_code == 404
    assert log_in(client, "bekend@winkel.nl", PASSWORD).status_code == 422
    assert log_in(client, "bekend@winkel.nl", "heel-nieuw-123").status_code == 302


class TestSessionsEndOnTheServer:
    """A copied session cookie stops working at once after each of the four causes."""

    @pytest.fixture
    def signed_in(self, app, make, client):
        user = make.user("dealer", email="kassa@winkel.nl")
        log_in(client, "kassa@winkel.nl", PASSWORD)
        copy = app.test_client()
        copy.set_cookie("session", client.get_cookie("session").value)
        assert copy.get("/account").status_code == 200
        return user, copy

    def test_signing_out(self, client, signed_in):
        _user, copy = signed_in
        client.post("/logout")
        assert copy.get("/account").status_code == 302

    def test_a_password_change(self, client, signed_in, app):
        _user, copy = signed_in
        form = {"current": PASSWORD, "password": "anders-123456", "confirm": "anders-123456"}
        assert client.post("/account/password", data=form).status_code == 302
        assert client.get("/account").status_code == 200  # the session that changed it
        assert copy.get("/account").status_code == 302

    def test_deactivation(self, api, make, signed_in):
        user, copy = signed_in
        token = make.token(user)
        boss = make.user("dealer", dealer=user.dealer)
        response = api.post(f"/api/v1/accounts/{user.id}/deactivate", as_=boss)
        assert response.status_code == 200, response.json
        assert response.json["active"] is False
        assert copy.get("/account").status_code == 302
        headers = {"Authorization": f"Bearer {token}"}
        assert api.client.get("/api/v1/purchases", headers=headers).status_code == 401

    def test_revoke_tokens(self, app, signed_in):
        _user, copy = signed_in
        result = app.test_cli_runner().invoke(args=["revoke-tokens", "kassa@winkel.nl"])
        assert result.exit_code == 0, result.output
        assert copy.get("/account").status_code == 302


def test_an_address_create_user_accepts_can_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "politie@lab.test", "--role", "police", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert log_in(client, "politie@lab.test", PASSWORD).status_code == 302
