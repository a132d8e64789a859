"""GET /api/v1/hits and the /hits page: the police's view of hits."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.stolen_db.helpers import IMEI, add_report

from .helpers import register_item


@pytest.fixture
def hits(session, clock, make):
    dealer = make.dealer(name="Fietsen Oost", city="Amsterdam")
    report = add_report(session, clock, imei=IMEI, brand="Apple", report_number="PL-1")
    first = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI)
    clock.advance(hours=1)
    add_report(session, clock, category="bicycle", brand="Gazelle", frame_number="GZ998877",
               report_number="PL-2")  # fmt: skip
    second = register_item(
        session, clock, dealer=dealer, category="bicycle", brand="Gazelle", frame_number="GZ998878"
    )
    return {"dealer": dealer, "report": report, "first": first, "second": second}


def test_the_police_list_hits_newest_first_with_match_item_dealer_and_report(api, hits):
    response = api.get("/api/v1/hits", as_="police")
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    newest, oldest = body["items"]
    assert newest["item"]["id"] == hits["second"].id
    assert newest["match"] == {
        "kind": "near",
        "identifier_type": "frame_number",
        "confidence": 0.75,
    }
    assert oldest["match"] == {"kind": "exact", "identifier_type": "imei", "confidence": 1.0}
    assert oldest["trigger"] == "registration"
    assert oldest["item"]["imei"] == IMEI and oldest["item"]["status"] == "police_hold"
    assert oldest["dealer"]["name"] == "Fietsen Oost"
    assert oldest["dealer"]["municipality"] == "GM0363"
    assert oldest["stolen_report"]["report_number"] == "PL-1"
    assert oldest["created_at"].endswith("+00:00")


def test_hits_are_paginated_and_filtered(api, hits):
    page = api.get("/api/v1/hits?per_page=1&page=2", as_="police").json
    assert page["total"] == 2 and page["pages"] == 2
    assert page["items"][0]["item"]["id"] == hits["first"].id
    near = api.get("/api/v1/hits?kind=near", as_="police").json
    assert [h["match"]["kind"] for h in near["items"]] == ["near"]
    by_report = api.get(f"/api/v1/hits?stolen_report_id={hits['report'].id}", as_="police").json
    assert [h["item"]["id"] for h in by_report["items"]] == [hits["first"].id]


@pytest.mark.parametrize("role", ["dealer", "municipality", "enforcement", "admin"])
def test_nobody_but_the_police_sees_hits(api, hits, role):
    assert api.get("/api/v1/hits", as_=role).status_code == 403


def test_the_hits_page_shows_the_police_every_hit(client, make, hits):
    make.user("police", email="agent@politie.nl")
    client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
    page = client.get("/hits")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "PL-1" in text and "PL-2" in text and "Fietsen Oost" in text
    assert "bijna" in text  # a near match is marked as such (Dutch by default)


def test_a_dealer_gets_no_hits_page_and_never_sees_the_report(client, make, hits):
    make.user("dealer", email="winkel@example.nl", dealer=hits["dealer"])
    client.post("/login", data={"email": "winkel@example.nl", "password": PASSWORD})
    assert client.get("/hits").status_code == 403
    assert client.get("/stolen").status_code == 403
