"""The DOL web pages: a dealer files, a new dealer registers, the municipality reviews."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from register.dealers.meldplicht import DolReport
from register.dealers.models import Dealer
from tests.factories import PASSWORD
from tests.register.inspections.helpers import report_body

FORM = {
    "type": "start",
    "effective_date": "2026-12-04",
    "municipality": "GM0363",
    "business.name": "Fietsenmaker Oost",
    "business.kvk_number": "11223344",
    "business.country": "NL",
    "business.address.street": "Linnaeusstraat",
    "business.address.house_number": "5",
    "business.address.postcode": "1092 CJ",
    "business.address.city": "Amsterdam",
    "business.contact.name": "Piet Jansen",
    "business.goods_categories": ["bicycle", "e_bike"],
}


def log_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_pending_dealer_files_its_start_report_with_the_form(client, make, session):
    dealer = make.dealer(active=False)
    log_in(client, make.user("dealer", dealer=dealer))
    assert "Meldplicht" in client.get("/meldplicht").get_data(as_text=True)
    response = client.post("/meldplicht/new", data=FORM)
    assert response.status_code == 302
    report = session.scalar(select(DolReport))
    assert report.dealer_id == dealer.id and report.timely
    assert report.goods_categories == ["bicycle", "e_bike"]


def test_the_form_shows_the_error_next_to_the_field_and_keeps_what_was_typed(client, make):
    log_in(client, make.user("dealer", dealer=make.dealer(active=False)))
    response = client.post("/meldplicht/new", data={**FORM, "business.kvk_number": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="business.kvk_number-error"' in page
    assert 'value="Fietsenmaker Oost"' in page


def test_registering_with_differing_passwords_stores_nothing(client, make, session):
    make.municipality()
    response = client.post(
        "/meldplicht/register",
        data={**FORM, "email": "x@y.nl", "password": "abcdefghij", "password_repeat": "other"},
    )
    assert response.status_code == 422
    assert session.scalar(select(Dealer)) is None


def test_the_municipality_accepts_from_the_review_queue(client, make, session, api):
    dealer = make.dealer(active=False)
    user = make.user("dealer", dealer=dealer)
    report_id = api.post(
        "/api/v1/meldplicht",
        report_body("start", date(2026, 12, 4)),
        as_=user,
    ).json["id"]
    log_in(client, make.user("municipality"))
    page = client.get("/meldplicht").get_data(as_text=True)
    assert f'id="report-{report_id}"' in page
    assert "Accepteren" in page and "Te beoordelen" in page  # Dutch by default
    confirmation = client.post(f"/meldplicht/{report_id}/decision", data={"decision": "accepted"})
    assert confirmation.status_code == 200 and "Ja, accepteren" in confirmation.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Dealer, dealer.id).status == "pending"  # nothing decided before confirming
    response = client.post(
        f"/meldplicht/{report_id}/decision", data={"decision": "accepted", "confirmed": "yes"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Dealer, dealer.id).status == "active"


def test_rejecting_on_the_web_without_a_reason_shows_the_error(client, make, api):
    user = make.user("dealer", dealer=make.dealer(active=False))
    report_id = api.post(
        "/api/v1/meldplicht", report_body("start", date(2026, 12, 4)), as_=user
    ).json["id"]
    log_in(client, make.user("municipality"))
    response = client.post(f"/meldplicht/{report_id}/decision", data={"decision": "rejected"})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_a_municipality_outside_the_dealers_scope_gets_404_on_the_web(client, make, api):
    user = make.user("dealer", dealer=make.dealer(active=False))
    report_id = api.post(
        "/api/v1/meldplicht", report_body("start", date(2026, 12, 4)), as_=user
    ).json["id"]
    utrecht = make.municipality("GM0344", "Utrecht")
    log_in(client, make.user("municipality", municipality=utrecht))
    assert client.get(f"/meldplicht/{report_id}").status_code == 404
    decision = client.post(
        f"/meldplicht/{report_id}/decision", data={"decision": "accepted", "confirmed": "yes"}
    )
    assert decision.status_code == 404
    assert f"report-{report_id}" not in client.get("/meldplicht").get_data(as_text=True)


def test_police_read_the_reports(client, make, api):
    user = make.user("dealer", dealer=make.dealer(active=False))
    api.post("/api/v1/meldplicht", report_body("start", date(2026, 12, 4)), as_=user)
    log_in(client, make.user("police"))
    page = client.get("/meldplicht").get_data(as_text=True)
    assert "Telefoonwinkel Centrum" in page and 'name="decision"' not in page
