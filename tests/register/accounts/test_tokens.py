"""A user's own long-lived API tokens: created once, listed with last use, revoked."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


def test_a_token_is_shown_once_works_lists_its_last_use_and_stops_when_revoked(
    api, make, client, clock
):
    user = make.user("dealer")
    created = api.post("/api/v1/tokens", {"name": "kassa 1"}, as_=user)
    assert created.status_code == 201, created.json
    assert set(created.json) == {"id", "name", "token"}
    assert created.json["name"] == "kassa 1"
    token = created.json["token"]
    bearer = {"Authorization": f"Bearer {token}"}

    listed = api.get("/api/v1/tokens", as_=user).json
    [entry] = [t for t in listed["items"] if t["id"] == created.json["id"]]
    assert entry["last_used_at"] is None
    assert "token" not in entry

    clock.advance(minutes=5)
    assert client.get("/api/v1/purchases", headers=bearer).status_code == 200  # a read
    listed = client.get("/api/v1/tokens", headers=bearer).json
    [entry] = [t for t in listed["items"] if t["id"] == created.json["id"]]
    assert entry["last_used_at"] == clock.now().isoformat()

    assert api.delete(f"/api/v1/tokens/{created.json['id']}", as_=user).status_code == 204
    assert client.get("/api/v1/purchases", headers=bearer).status_code == 401
    listed = api.get("/api/v1/tokens", as_=user).json
    assert created.json["id"] not in [t["id"] for t in listed["items"]]


def test_a_read_with_a_token_shows_as_its_last_use_on_the_account_page_once_a_minute(
    client, make, clock
):
    make.user("dealer", email="balie@winkel.nl")
    client.post("/login", data={"email": "balie@winkel.nl", "password": PASSWORD})
    page = client.post("/account/tokens", data={"name": "kassa 3"}).get_data(as_text=True)
    token = page.split('<code id="new-token">')[1].split("</code>")[0]
    bearer = {"Authorization": f"Bearer {token}"}

    def last_use() -> str:
        html = client.get("/account").get_data(as_text=True)
        row = html.split("kassa 3</td>")[1].split("</tr>")[0]
        return row.split('data-label="Laatst gebruikt">')[1].split("</td>")[0]

    assert last_use() == "nooit"
    clock.advance(minutes=3)  # 09:03 UTC: 10:03 in Amsterdam, as the page says
    assert client.get("/api/v1/purchases", headers=bearer).status_code == 200
    assert last_use() == "27-11-2026 10:03"

    clock.advance(seconds=40)  # within the minute: the read writes nothing
    assert client.get("/api/v1/purchases", headers=bearer).status_code == 200
    clock.advance(seconds=40)
    assert last_use() == "27-11-2026 10:03"
    assert client.get("/api/v1/purchases", headers=bearer).status_code == 200
    assert last_use() == "27-11-2026 10:04"

    clock.advance(minutes=5)  # a refused read is not a use
    assert client.get("/api/v1/purchases/999999", headers=bearer).status_code == 404
    assert last_use() == "27-11-2026 10:04"


def test_another_users_token_is_404_and_keeps_working(api, make, client):
    owner, other = make.user("dealer"), make.user("police")
    created = api.post("/api/v1/tokens", {"name": "kassa"}, as_=owner).json
    assert api.delete(f"/api/v1/tokens/{created['id']}", as_=other).status_code == 404
    assert created["id"] not in [
        t["id"] for t in api.get("/api/v1/tokens", as_=other).json["items"]
    ]
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/purchases", headers=headers).status_code == 200


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 201}])
def test_a_token_needs_a_name(api, make, body):
    response = api.post("/api/v1/tokens", body, as_=make.user("dealer"))
    assert response.status_code == 422
    assert "name" in response.json["errors"]


def test_the_account_page_creates_shows_once_and_revokes_a_token(client, make, session):
    from register.accounts.models import ApiToken

    user = make.user("dealer", email="balie@winkel.nl")
    client.post("/login", data={"email": "balie@winkel.nl", "password": PASSWORD})
    page = client.post("/account/tokens", data={"name": "kassa 2"})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    token = html.split('<code id="new-token">')[1].split("</code>")[0]
    assert (
        client.get("/api/v1/purchases", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert token not in client.get("/account").get_data(as_text=True)
    row = session.query(ApiToken).filter_by(user_id=user.id, label="kassa 2").one()
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert (
        client.get("/api/v1/purchases", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
