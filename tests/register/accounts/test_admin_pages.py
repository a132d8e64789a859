"""/admin and /staff through the test client: what each role may do there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from register.accounts.audit import record_access
from register.accounts.models import User
from register.dealers.models import Municipality
from tests.factories import PASSWORD
from tests.mailcatcher import deliver_mail

from .test_invitations import link_in


@pytest.fixture
def app_config(mail_config):
    return mail_config


def sign_in(client, user):
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )


def test_only_admins_reach_admin(client, make):
    for role in ("dealer", "municipality", "enforcement", "police"):
        other = client.application.test_client()
        sign_in(other, make.user(role))
        assert other.get("/admin").status_code == 403, role
    sign_in(client, make.user("admin"))
    assert client.get("/admin").status_code == 200


def test_the_admin_adds_and_renames_a_municipality(client, make, session):
    sign_in(client, make.user("admin"))
    assert (
        client.post(
            "/admin/municipalities", data={"code": "gm0599", "name": "Rotterdam"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/municipalities/GM0599/name", data={"name": "Rotterdam (Zuid-Holland)"}
        ).status_code
        == 302
    )
    assert session.scalar(select(Municipality.name).where(Municipality.code == "GM0599")) == (
        "Rotterdam (Zuid-Holland)"
    )
    refused = client.post("/admin/municipalities", data={"code": "XX1", "name": "Nergens"})
    assert refused.status_code == 422


def test_the_admin_changes_a_role_and_scope(client, make, session):
    town = make.municipality("GM0363", "Amsterdam")
    account = make.user("police")
    sign_in(client, make.user("admin"))
    response = client.post(f"/admin/accounts/{account.id}/role",
                           data={"role": "enforcement", "municipality": "GM0363"})  # fmt: skip
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(User, account.id)
    assert (changed.role, changed.municipality_id) == ("enforcement", town.id)


def test_the_audit_log_filters_by_account_and_purpose(client, make, session):
    agent = make.user("police", email="agent@politie.nl")
    other = make.user("police", email="ander@politie.nl")
    record_access(session, user_id=agent.id, action="purchase.read", record_type="purchase",
                  record_id=7, purpose="zaak 2026-118")  # fmt: skip
    record_access(session, user_id=other.id, action="purchase.read", record_type="purchase",
                  record_id=8, purpose="zaak 2026-200")  # fmt: skip
    session.commit()
    sign_in(client, make.user("admin"))
    html = client.get("/admin?user=agent@&purpose=2026-118").get_data(as_text=True)
    assert "zaak 2026-118" in html and "zaak 2026-200" not in html
    html = client.get("/admin?record_id=8").get_data(as_text=True)
    assert "zaak 2026-200" in html and "zaak 2026-118" not in html


def test_a_dealer_invites_and_deactivates_its_own_staff_only(client, make, session, mail_catcher):
    shop = make.dealer()
    boss = make.user("dealer", dealer=shop)
    colleague = make.user("dealer", dealer=shop)
    stranger = make.user("dealer")
    sign_in(client, boss)
    assert (
        client.post("/staff", data={"email": "nieuw@shop.nl", "role": "dealer"}).status_code == 302
    )
    assert client.post("/staff", data={"email": "x@shop.nl", "role": "police"}).status_code == 422
    assert client.post(f"/accounts/{stranger.id}/deactivate").status_code == 404
    assert client.post(f"/accounts/{colleague.id}/deactivate").status_code == 302
    session.expire_all()
    assert session.get(User, colleague.id).is_active_account is False
    assert session.get(User, stranger.id).is_active_account is True
    invited = session.scalar(select(User).where(User.email == "nieuw@shop.nl"))
    assert invited.dealer_id == shop.id


def _status_of(html: str, email: str) -> str:
    row = html.split(f'<td data-label="E-mailadres">{email}</td>')[1].split("</tr>")[0]
    cell = row.split('<td data-label="Status">')[1].split("</td>")[0]
    return cell.split("<form")[0].strip()


def test_an_invited_account_shows_as_invited_until_its_password_is_set_and_can_be_invited_again(
    app, client, make, session, mail_catcher
):
    shop = make.dealer()
    boss = make.user("dealer", dealer=shop, email="baas@shop.nl")
    stranger = make.user("dealer", email="vreemde@ander.nl")
    sign_in(client, boss)
    client.post("/staff", data={"email": "nieuw@shop.nl", "role": "dealer"})
    invited = session.scalar(select(User).where(User.email == "nieuw@shop.nl"))
    html = client.get("/staff").get_data(as_text=True)
    assert _status_of(html, "nieuw@shop.nl") == "uitgenodigd"
    assert _status_of(html, "baas@shop.nl") == "actief"
    assert f"/accounts/{invited.id}/invitation" in html
    assert f"/accounts/{boss.id}/invitation" not in html
    deliver_mail(app)
    [first] = mail_catcher.mails_to("nieuw@shop.nl")

    assert client.post(f"/accounts/{stranger.id}/invitation").status_code == 404
    assert client.post(f"/accounts/{invited.id}/invitation").status_code == 302
    deliver_mail(app)
    first_link, second = link_in(first), mail_catcher.mails_to("nieuw@shop.nl")[1]
    assert second.subject == "Uw account bij het Digitaal Opkopers Register"
    assert client.get(first_link).status_code == 404  # the earlier link stopped working

    other = app.test_client()
    form = {"password": "een-nieuw-wachtwoord", "confirm": "een-nieuw-wachtwoord"}
    assert other.post(link_in(second), data=form).status_code == 302
    html = client.get("/staff").get_data(as_text=True)
    assert _status_of(html, "nieuw@shop.nl") == "actief"
    assert f"/accounts/{invited.id}/invitation" not in html
    assert client.post(f"/accounts/{invited.id}/invitation").status_code == 302  # refused
    deliver_mail(app)
    assert len(mail_catcher.mails_to("nieuw@shop.nl")) == 2

    client.post(f"/accounts/{invited.id}/deactivate")
    assert _status_of(client.get("/staff").get_data(as_text=True), "nieuw@shop.nl") == (
        "gedeactiveerd"
    )


def test_the_admin_list_shows_invited_accounts(client, make, session, mail_catcher):
    sign_in(client, make.user("admin", email="beheer@dor.nl"))
    client.post("/admin/accounts", data={"email": "agent@politie.nl", "role": "police"})
    html = client.get("/admin").get_data(as_text=True)
    assert _status_of(html, "agent@politie.nl") == "uitgenodigd"
    assert _status_of(html, "beheer@dor.nl") == "actief"
    agent = session.scalar(select(User).where(User.email == "agent@politie.nl"))
    response = client.post(f"/accounts/{agent.id}/invitation", data={"back": "admin"})
    assert response.status_code == 302 and response.location.endswith("/admin")
