"""Who manages which accounts: outside one's scope an account does not exist (404)."""

from __future__ import annotations

import pytest

from tests.mailcatcher import deliver_mail


@pytest.fixture
def app_config(mail_config):
    return mail_config


def emails(api, caller) -> set[str]:
    return {a["email"] for a in api.get("/api/v1/accounts?per_page=500", as_=caller).json["items"]}


def test_each_manager_lists_only_the_accounts_in_its_scope(api, make):
    amsterdam = make.municipality("GM0363", "Amsterdam")
    utrecht = make.municipality("GM0344", "Utrecht")
    shop, other_shop = make.dealer(municipality=amsterdam), make.dealer(municipality=amsterdam)
    clerk = make.user("municipality", municipality=amsterdam, email="clerk@ams.nl")
    boa = make.user("enforcement", municipality=amsterdam, email="boa@ams.nl")
    make.user("enforcement", municipality=utrecht, email="boa@utr.nl")
    seller = make.user("dealer", dealer=shop, email="a@shop.nl")
    make.user("dealer", dealer=other_shop, email="b@shop.nl")
    admin = make.user("admin", email="root@dor.nl")

    assert emails(api, clerk) == {"clerk@ams.nl", "boa@ams.nl"}
    assert emails(api, seller) == {"a@shop.nl"}
    assert {"clerk@ams.nl", "boa@utr.nl", "b@shop.nl", "root@dor.nl"} <= emails(api, admin)
    assert api.get("/api/v1/accounts", as_=boa).status_code == 403


def test_deactivating_an_account_outside_ones_scope_is_404(api, make):
    amsterdam = make.municipality("GM0363", "Amsterdam")
    utrecht = make.municipality("GM0344", "Utrecht")
    other_boa = make.user("enforcement", municipality=utrecht)
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=amsterdam))
    clerk = make.user("municipality", municipality=amsterdam)
    for caller, target in ((clerk, other_boa), (clerk, dealer_user), (dealer_user, clerk)):
        response = api.post(f"/api/v1/accounts/{target.id}/deactivate", as_=caller)
        assert response.status_code == 404, (caller.role, target.role)
    assert api.post("/api/v1/accounts/424242/deactivate", as_=clerk).status_code == 404


def test_invitations_outside_ones_scope_are_refused_without_revealing_anything(
    app, api, make, mail_catcher
):
    amsterdam = make.municipality("GM0363", "Amsterdam")
    make.municipality("GM0344", "Utrecht")
    clerk = make.user("municipality", municipality=amsterdam)
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=amsterdam))
    other_dealer = make.dealer(municipality=amsterdam)

    cases = [
        (clerk, {"email": "x1@x.nl", "role": "enforcement", "municipality": "GM0344"}, 404),
        (clerk, {"email": "x2@x.nl", "role": "dealer", "dealer_id": other_dealer.id}, 422),
        (clerk, {"email": "x3@x.nl", "role": "police"}, 422),
        (dealer_user, {"email": "x4@x.nl", "role": "dealer", "dealer_id": other_dealer.id}, 404),
        (dealer_user, {"email": "x5@x.nl", "role": "municipality"}, 422),
    ]
    for caller, body, status in cases:
        response = api.post("/api/v1/accounts", body, as_=caller)
        assert response.status_code == status, (body, response.json)
    assert deliver_mail(app) == 0
    assert mail_catcher.mails == []

    own = api.post("/api/v1/accounts", {"email": "collega@shop.nl", "role": "dealer"},
                   as_=dealer_user)  # fmt: skip
    assert own.status_code == 201 and own.json["dealer_id"] == dealer_user.dealer_id
    boa = api.post("/api/v1/accounts", {"email": "boa@ams.nl", "role": "enforcement"}, as_=clerk)
    assert boa.status_code == 201 and boa.json["municipality"] == "GM0363"
    assert deliver_mail(app) == 2


def test_an_address_with_an_account_cannot_be_invited_twice(api, make):
    make.user("police", email="agent@politie.nl")
    response = api.post("/api/v1/accounts", {"email": "agent@politie.nl", "role": "police"},
                        as_="admin")  # fmt: skip
    assert response.status_code == 422
    assert "email" in response.json["errors"]
