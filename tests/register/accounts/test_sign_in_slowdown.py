"""Per-account slowdown after repeated failed sign-ins, kept in the database: the same for
every address, known or not, on the web form and the API, across processes; the owner is
mailed once (real SMTP in the test process)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from register import create_app
from register.accounts.models import SignInFailures
from tests.conftest import base_config
from tests.factories import PASSWORD
from tests.mailcatcher import deliver_mail

from .test_invitations import link_in, log_in

SLOWED_NL = "Te veel mislukte pogingen; probeer het over {} opnieuw."
WRONG_NL = "Onjuist e-mailadres of wachtwoord."


@pytest.fixture
def app_config(mail_config):
    return mail_config


def _password_error(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('id="password-error"', 1)[1].split("</p>", 1)[0]


def _fail(client, email: str, times: int) -> None:
    for _ in range(times):
        assert log_in(client, email, "niet-het-goede-wachtwoord").status_code == 422


def test_after_five_failures_even_the_right_password_waits_and_then_signs_in(
    client, make, session, clock
):
    user = make.user("police", email="agent@politie.nl")
    _fail(client, user.email, 4)
    fifth = log_in(client, user.email, "niet-het-goede-wachtwoord")
    assert SLOWED_NL.format("1 minuut") in _password_error(fifth)

    refused = log_in(client, user.email, PASSWORD)
    assert refused.status_code == 422
    assert WRONG_NL in _password_error(refused)
    assert SLOWED_NL.format("1 minuut") in _password_error(refused)

    clock.advance(seconds=61)
    assert log_in(client, user.email, PASSWORD).status_code == 302
    session.rollback()
    assert session.scalar(select(SignInFailures)) is None  # a correct sign-in resets it


def test_the_delay_doubles_with_each_further_failure(client, make, clock):
    user = make.user("dealer", email="balie@fietsen.nl")
    _fail(client, user.email, 5)
    clock.advance(seconds=61)
    sixth = log_in(client, user.email, "nog-steeds-verkeerd")
    assert SLOWED_NL.format("2 minuten") in _password_error(sixth)
    clock.advance(seconds=61)
    assert log_in(client, user.email, PASSWORD).status_code == 422  # still waiting
    clock.advance(seconds=60)
    assert log_in(client, user.email, PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answers_as_a_known_one(client, make):
    make.user("police", email="agent@politie.nl")
    answers = {}
    for email in ("agent@politie.nl", "niemand@politie.nl"):
        pages = []
        for _ in range(6):
            response = log_in(client, email, "niet-het-goede-wachtwoord")
            assert response.status_code == 422
            pages.append(_password_error(response))
        answers[email] = pages
    assert answers["agent@politie.nl"] == answers["niemand@politie.nl"]
    assert SLOWED_NL.format("1 minuut") in answers["niemand@politie.nl"][-1]


def test_the_api_sign_in_shares_the_count_and_answers_401_with_retry_after(
    client, make, database_uri, clock
):
    user = make.user("dealer", email="kassa@fietsen.nl")
    _fail(client, user.email, 3)
    # Another process (another app on the same database) sees the same count.
    other = create_app(base_config(database_uri, clock)).test_client()
    for _ in range(2):
        response = other.post(
            "/api/v1/auth/token", json={"email": user.email, "password": "verkeerd-wachtwoord"}
        )
        assert response.status_code == 401
    response = other.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "Too many failed attempts; try again in 1 minute" in response.json["detail"]
    assert 0 < int(response.headers["Retry-After"]) <= 60
    clock.advance(seconds=61)
    response = other.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_the_owner_is_mailed_once_when_the_slowdown_starts(app, client, make, clock, mail_catcher):
    user = make.user("municipality", email="ambtenaar@gemeente.nl")
    _fail(client, user.email, 5)
    for _ in range(3):  # further failures, each after its wait: no further mail
        clock.advance(hours=1)
        _fail(client, user.email, 1)
    _fail(client, "niemand@gemeente.nl", 6)  # no account: nobody to mail
    assert deliver_mail(app) == 1
    assert deliver_mail(app) == 0

    [mail] = mail_catcher.mails
    assert mail.recipients == ("ambtenaar@gemeente.nl",) and mail.language == "nl"
    assert mail.subject == "Mislukte inlogpogingen op uw account"
    assert "5 keer achter elkaar" in mail.text
    assert link_in(mail) == "/password/forgot"


def test_housekeeping_forgets_only_the_counts_that_no_longer_count(
    app, client, make, session, clock
):
    from register.accounts.signin import forget_old_failures
    from register.transactions import unit_of_work

    _fail(client, "oud@winkel.nl", 3)
    clock.advance(hours=23)
    _fail(client, "recent@winkel.nl", 2)
    clock.advance(hours=1, seconds=1)  # the first address's failures are a day old now
    with app.app_context(), unit_of_work():
        assert forget_old_failures(session, clock.now()) == 1
    session.rollback()
    assert session.scalars(select(SignInFailures.email)).all() == ["recent@winkel.nl"]
