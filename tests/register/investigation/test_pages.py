"""The police pages: search with its purpose, the alerts and an alert's page, in Dutch."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from register.accounts.models import AuditEntry
from register.investigation.models import Alert
from tests.factories import PASSWORD
from tests.register.purchases.helpers import IMEI_1, IMEI_2, IMEI_3, phone

from .test_search import registered

DUTCH_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


def log_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_the_search_page_finds_and_audits(client, api, make, session):
    registered(api, make.user("dealer"), [phone(IMEI_1)])
    police = make.user("police")
    log_in(client, police)
    empty = client.get("/search")
    assert empty.status_code == 200
    page = empty.get_data(as_text=True)
    assert 'for="purpose"' in page and "Zoeken in de registers" in page
    response = client.get("/search", query_string={"purpose": "PL-1", "identifier": IMEI_1})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 resultaat" in html and "Jan de Vries" in html
    (entry,) = session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.purpose) == ("search_items", "PL-1")
    assert entry.details["criteria"] == {"identifier": IMEI_1}


def test_the_search_page_says_when_there_are_more_results_than_counted(
    client, api, make, monkeypatch
):
    dealer = make.user("dealer")
    for _ in range(2):
        registered(api, dealer, [phone(IMEI_1)])
    monkeypatch.setattr("register.investigation.search.TOTAL_CAP", 1)
    log_in(client, make.user("police"))
    response = client.get("/search", query_string={"purpose": "PL-1", "identifier": IMEI_1})
    assert "Meer dan 1 resultaten" in response.get_data(as_text=True)


def test_a_search_without_purpose_shows_the_error_summary(client, make, session):
    log_in(client, make.user("police"))
    response = client.get("/search", query_string={"identifier": IMEI_1, "partial": "ab"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Fout: " in html
    assert 'href="#purpose"' in html and "Geef het doel op" in html
    assert 'href="#partial"' not in html or "4 letters" in html
    assert f'value="{IMEI_1}"' in html  # what was typed is kept
    assert session.scalars(select(AuditEntry)).all() == []


def test_the_search_page_in_english(client, make):
    log_in(client, make.user("police"))
    client.set_cookie("lang", "en")
    html = client.get("/search").get_data(as_text=True)
    assert "Search the registers" in html


def test_only_police_and_enforcement_have_the_search_page(client, make):
    for role in ("dealer", "municipality"):
        user = make.user(role)
        log_in(client, user)
        assert client.get("/search").status_code == 403, role
        client.post("/logout")
    log_in(client, make.user("enforcement"))
    assert client.get("/search").status_code == 200
    assert client.get("/alerts").status_code == 403


def test_the_alert_pages_explain_and_take_a_status(client, api, make, session, app):
    app.config["ALERT_FREQUENT_SELLER_ITEMS"] = 3
    registered(api, make.user("dealer"), [phone(IMEI_1), phone(IMEI_2), phone(IMEI_3)])
    (alert,) = session.scalars(select(Alert)).all()
    police = make.user("police")
    log_in(client, police)
    listing = client.get("/alerts").get_data(as_text=True)
    assert "Frequente verkoper" in listing and "Eén identiteitsbewijs verkocht" in listing
    since = date.fromisoformat(alert.reason["since"])
    assert f"sinds {since.day} {DUTCH_MONTHS[since.month - 1]} {since.year}" in listing
    assert alert.reason["since"] not in listing  # no ISO dates on a page
    one = client.get(f"/alerts/{alert.id}")
    assert one.status_code == 200
    assert session.scalars(select(AuditEntry.action)).all() == ["open_alert"]
    response = client.post(
        f"/alerts/{alert.id}/status", data={"status": "dismissed", "note": "bekende handelaar"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert (session.get(Alert, alert.id).status, session.get(Alert, alert.id).note) == (
        "dismissed",
        "bekende handelaar",
    )
    bad = client.post(f"/alerts/{alert.id}/status", data={"status": "closed"})
    assert bad.status_code == 422
    assert "Kies een status" in bad.get_data(as_text=True)


def test_the_navigation_shows_search_and_alerts_to_the_police(client, make):
    log_in(client, make.user("police"))
    html = client.get("/search").get_data(as_text=True)
    assert 'href="/search"' in html and 'href="/alerts"' in html
