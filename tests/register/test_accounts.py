"""Accounts: tokens, web login, rate-limited login attempts."""

from __future__ import annotations

import pytest

from register.accounts.models import ApiToken, User
from tests.factories import PASSWORD


def test_token_endpoint_returns_a_bearer_token_that_authenticates(api, make, clock):
    user = make.user("police", email="agent@politie.nl")
    response = api.client.post(
        "/api/v1/auth/token", json={"email": "Agent@Politie.nl", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    from register.accounts.authz import api_user  # noqa: F401
    from register.accounts.service import user_for_token
    from register.extensions import db

    assert user_for_token(db.session, body["access_token"], now=clock.now()).id == user.id


def test_wrong_password_is_a_401_problem(api, make):
    make.user("police", email="agent@politie.nl")
    response = api.client.post(
        "/api/v1/auth/token", json={"email": "agent@politie.nl", "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_access_tokens_expire_and_long_lived_tokens_do_not(make, clock, session):
    from datetime import timedelta

    from register.accounts.service import issue_token, user_for_token

    user = make.user("police")
    short = issue_token(session, user, now=clock.now(), lifetime=timedelta(hours=1))
    long = issue_token(session, user, now=clock.now(), lifetime=None)
    clock.advance(hours=2)
    assert user_for_token(session, short, now=clock.now()) is None
    assert user_for_token(session, long, now=clock.now()).id == user.id


def test_tokens_are_stored_hashed_and_can_be_revoked(make, clock, session):
    from register.accounts.service import issue_token, revoke_tokens, user_for_token

    user = make.user("police")
    token = issue_token(session, user, now=clock.now(), lifetime=None)
    stored = session.query(ApiToken).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert revoke_tokens(session, user, now=clock.now()) == 1
    assert user_for_token(session, token, now=clock.now()) is None


def test_a_tokens_user_comes_with_its_scope_and_a_dealers_user_with_its_dealer(
    make, clock, session
):
    from register.accounts.service import issue_token, user_for_token
    from register.dealers.models import Dealer

    police = make.user("police")
    found = user_for_token(session, issue_token(session, police, now=clock.now(), lifetime=None),
                           now=clock.now())  # fmt: skip
    assert (found.id, found.role, found.dealer_id, found.dealer) == (
        police.id,
        "police",
        None,
        None,
    )

    staff = make.user("dealer")
    found = user_for_token(session, issue_token(session, staff, now=clock.now(), lifetime=None),
                           now=clock.now())  # fmt: skip
    dealer = session.get(Dealer, staff.dealer_id)
    assert (found.role, found.dealer_id) == ("dealer", dealer.id)
    assert (found.dealer.id, found.dealer.name, found.dealer.status, found.dealer.kind) == (
        dealer.id, dealer.name, dealer.status, dealer.kind)  # fmt: skip
    assert found.dealer.municipality.code == dealer.municipality.code
    assert found.dealer.municipality.minimum_seller_age == dealer.municipality.minimum_seller_age


def test_a_deactivated_users_token_authenticates_no_more(make, clock, session):
    from register.accounts.service import issue_token, user_for_token

    user = make.user("police")
    token = issue_token(session, user, now=clock.now(), lifetime=None)
    session.get(User, user.id).is_active_account = False
    assert user_for_token(session, token, now=clock.now()) is None


def test_passwords_are_hashed_with_scrypt(make, session):
    user = make.user("admin")
    assert session.get(User, user.id).password_hash.startswith("scrypt:")


def test_web_login_and_logout(client, make):
    make.user("police", email="agent@politie.nl")
    response = client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
    assert response.status_code == 302
    assert "agent@politie.nl" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "agent@politie.nl" not in client.get("/").get_data(as_text=True)


def test_web_login_with_wrong_password_shows_the_error_next_to_the_field(client, make):
    make.user("police", email="agent@politie.nl")
    response = client.post("/login", data={"email": "agent@politie.nl", "password": "nope"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page and 'value="agent@politie.nl"' in page


def test_login_does_not_redirect_to_another_site(client, make):
    make.user("police", email="agent@politie.nl")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "agent@politie.nl", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_pages_for_a_role_redirect_anonymous_visitors_to_login(client):
    response = client.get("/purchases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_page_for_another_role_is_forbidden(client, make):
    make.user("admin", email="admin@example.nl")
    client.post("/login", data={"email": "admin@example.nl", "password": PASSWORD})
    assert client.get("/purchases/new").status_code == 403


class TestRateLimitedLogin:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute"}

    def test_too_many_token_requests_answer_429_with_retry_after(self, client):
        for _ in range(3):
            client.post("/api/v1/auth/token", json={"email": "a@b.nl", "password": "x"})
        response = client.post("/api/v1/auth/token", json={"email": "a@b.nl", "password": "x"})
        assert response.status_code == 429
        assert response.content_type == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0

    def test_too_many_web_logins_answer_429(self, client):
        for _ in range(3):
            client.post("/login", data={"email": "a@b.nl", "password": "x"})
        response = client.post("/login", data={"email": "a@b.nl", "password": "x"})
        assert response.status_code == 429
        assert response.headers.get("Retry-After")
