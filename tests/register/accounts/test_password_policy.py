"""The password policy (zxcvbn) on every path that sets a password: a weak one is refused
with a Dutch message next to its field, a strong one is taken."""

from __future__ import annotations

from sqlalchemy import select

from register.accounts.links import new_link
from register.accounts.models import User
from register.accounts.passwords import password_problem
from register.demo import DEMO_PASSWORD
from tests.factories import PASSWORD
from tests.register.dealers.test_meldplicht_web import FORM

from .test_invitations import log_in

WEAK = "wachtwoord1"
STRONG = "fiets-tulp-regen-42"
TOO_GUESSABLE_NL = "Dit wachtwoord is te makkelijk te raden."


def test_the_policy_refuses_common_and_personal_passwords_and_takes_unguessable_ones():
    assert password_problem("password") is not None
    assert password_problem("korter") is not None  # under 8 characters
    assert password_problem("demo-password") is not None
    # The account's own address and name make a password guessable.
    assert password_problem("fietsenmaker-oost") is None
    assert password_problem("fietsenmaker-oost", names=["Fietsenmaker Oost"]) is not None
    assert password_problem("piet.jansen", email="piet.jansen@example.nl") is not None
    assert password_problem(STRONG, email="piet@example.nl") is None
    assert password_problem(PASSWORD) is None


def signup_form(*, password: str, email: str = "nieuw@fietsenmaker.nl") -> dict:
    return {**FORM, "email": email, "password": password, "password_repeat": password}


def _refused_next_to_password(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="password-error"' in page
    error = page.split('id="password-error"', 1)[1].split("</p>", 1)[0]
    assert TOO_GUESSABLE_NL in error


def _link(session, clock, purpose: str, user: User) -> str:
    _row, token = new_link(session, purpose, now=clock.now(), user=user)
    session.commit()
    return {"invitation": "/invitation/", "password_reset": "/password/reset/"}[purpose] + token


def test_an_invitation_link_refuses_a_weak_password_and_stays_usable(
    app, client, make, session, clock
):
    user = make.user("police", email="agent@politie.nl")
    path = _link(session, clock, "invitation", user)
    _refused_next_to_password(client.post(path, data={"password": WEAK, "confirm": WEAK}))
    assert client.post(path, data={"password": STRONG, "confirm": STRONG}).status_code == 302
    assert log_in(client, "agent@politie.nl", STRONG).status_code == 302


def test_a_reset_link_refuses_a_password_made_of_the_account_s_address(
    app, client, make, session, clock
):
    user = make.user("dealer", email="balie@fietsenmaker.nl")
    path = _link(session, clock, "password_reset", user)
    weak = "balie@fietsenmaker.nl"
    _refused_next_to_password(client.post(path, data={"password": weak, "confirm": weak}))
    assert client.post(path, data={"password": STRONG, "confirm": STRONG}).status_code == 302
    assert log_in(client, "balie@fietsenmaker.nl", STRONG).status_code == 302


def test_changing_one_s_password_refuses_a_weak_one_and_keeps_the_old(app, client, make):
    user = make.user("municipality", email="ambtenaar@gemeente.nl")
    assert log_in(client, user.email, PASSWORD).status_code == 302
    form = {"current": PASSWORD, "password": WEAK, "confirm": WEAK}
    _refused_next_to_password(client.post("/account/password", data=form))
    assert client.get("/account").status_code == 200  # still signed in, nothing changed
    form = {"current": PASSWORD, "password": STRONG, "confirm": STRONG}
    assert client.post("/account/password", data=form).status_code == 302
    client.post("/logout")
    assert log_in(client, user.email, STRONG).status_code == 302


def test_create_user_refuses_a_weak_password_and_names_it(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "boa@gemeente.nl", "--role", "police",
                                 "--password", WEAK])  # fmt: skip
    assert result.exit_code != 0
    assert "password is too easy to guess" in result.output
    assert session.scalar(select(User).where(User.email == "boa@gemeente.nl")) is None
    result = runner.invoke(args=["create-user", "boa@gemeente.nl", "--role", "police",
                                 "--password", STRONG])  # fmt: skip
    assert result.exit_code == 0, result.output


def test_a_dealer_sign_up_refuses_a_weak_password_next_to_the_field(app, client, make, session):
    make.municipality("GM0363", "Amsterdam")
    response = client.post("/meldplicht/register", data=signup_form(password=WEAK))
    _refused_next_to_password(response)
    response = client.post("/meldplicht/register", data=signup_form(password=STRONG))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


def test_a_weak_password_is_refused_also_for_an_address_that_has_an_account(app, client, make):
    make.municipality("GM0363", "Amsterdam")
    make.user("dealer", email="bestaat@example.nl")
    response = client.post(
        "/meldplicht/register", data=signup_form(email="bestaat@example.nl", password=WEAK)
    )
    _refused_next_to_password(response)


def test_the_demo_data_keeps_its_documented_password(app, session, clock):
    from register import demo

    demo.seed(session, now=clock.now())
    session.commit()
    assert password_problem(DEMO_PASSWORD) is not None  # the policy would refuse it
    email = demo.DEMO_USERS[0][0]
    client = app.test_client()
    assert log_in(client, email, DEMO_PASSWORD).status_code == 302
