"""Stop Heling web pages: the public check and the police's reports."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from register.hits.models import Hit
from stolen_db.models import StolenReport
from tests.factories import PASSWORD
from tests.register.hits.helpers import register_item

from .helpers import IMEI, add_report


def english(client):
    client.post("/language/en", data={"next": "/"})


class TestCheckPage:
    def test_the_check_page_is_a_form_without_login(self, client):
        page = client.get("/check")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'name="identifier"' in text and 'name="brand"' in text

    def test_a_reported_good_is_answered_in_plain_words_with_what_to_do(
        self, client, session, clock
    ):
        add_report(session, clock, imei=IMEI)
        english(client)
        text = client.post("/check", data={"identifier": "49-015420-323751-8"}).get_data(
            as_text=True
        )
        assert "Reported stolen" in text
        assert "0900-8844" in text and "Do not buy it" in text
        assert "A check is no guarantee." in text

    def test_a_good_without_report_says_so_with_the_notice(self, client):
        english(client)
        text = client.post("/check", data={"identifier": "XYZ-000111"}).get_data(as_text=True)
        assert "No report" in text
        assert "A check is no guarantee." in text

    def test_the_page_is_dutch_by_default(self, client, session, clock):
        add_report(session, clock, imei=IMEI)
        text = client.get(f"/check?identifier={IMEI}").get_data(as_text=True)
        assert "Als gestolen opgegeven" in text
        assert "Een controle is geen garantie." in text

    def test_a_link_with_the_identifier_answers_too(self, client, session, clock):
        add_report(session, clock, serial_number="SN-1234567")
        english(client)
        assert "Reported stolen" in client.get("/check?identifier=sn1234567").get_data(as_text=True)

    def test_an_empty_identifier_is_shown_next_to_the_field(self, client):
        response = client.post("/check", data={"identifier": "  ", "brand": "Gazelle"})
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert 'id="identifier-error"' in text
        assert 'value="Gazelle"' in text

    def test_a_lookalike_match_is_not_revealed_on_the_page(self, client, session, clock):
        add_report(session, clock, serial_number="SN-1234567", brand="Canon")
        english(client)
        text = client.post("/check", data={"identifier": "5N1234567", "brand": "Canon"}).get_data(
            as_text=True
        )
        assert "No report" in text


@pytest.fixture
def police(client, make):
    make.user("police", email="agent@politie.nl")
    client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
    english(client)
    return client


def form(**fields):
    data = {
        "report_number": "PL0900-2026777001",
        "reported_at": "2026-11-26T20:15",
        "category": "bicycle",
        "brand": "Gazelle",
        "model": "Ultimate C8",
        "imei": "",
        "serial_number": "",
        "frame_number": "GZ7788123",
        "description": "green, child seat",
    }
    data.update(fields)
    return data


class TestPolicePages:
    def test_the_police_report_a_theft_and_see_how_many_registered_goods_matched(
        self, police, session, clock, make
    ):
        dealer = make.dealer()
        register_item(
            session, clock, dealer=dealer, category="bicycle", brand="Gazelle",
            frame_number="gz 7788 123",
        )  # fmt: skip
        response = police.post("/stolen/new", data=form(), follow_redirects=True)
        text = response.get_data(as_text=True)
        assert "Report PL0900-2026777001 saved. Registered goods matched: 1." in text
        assert "GZ7788123" in text
        assert session.scalar(select(Hit.trigger)) == "theft_report"

    def test_the_report_form_shows_errors_next_to_the_fields_and_keeps_the_input(
        self, police, session
    ):
        response = police.post(
            "/stolen/new", data=form(frame_number="", imei="490154203237519", model="Keep me")
        )
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert 'id="imei-error"' in text
        assert "check digit" in text
        assert 'value="Keep me"' in text
        assert session.query(StolenReport).count() == 0

    def test_a_form_without_identifiers_names_all_three(self, police):
        text = police.post("/stolen/new", data=form(frame_number="")).get_data(as_text=True)
        for name in ("imei", "serial_number", "frame_number"):
            assert f'id="{name}-error"' in text

    def test_a_duplicate_report_number_is_shown_at_the_field(self, police, session, clock):
        add_report(session, clock, report_number="PL0900-2026777001", imei=IMEI)
        response = police.post("/stolen/new", data=form())
        assert response.status_code == 422
        assert 'id="report_number-error"' in response.get_data(as_text=True)

    def test_the_police_list_search_and_withdraw_reports(self, police, session, clock):
        report = add_report(session, clock, imei=IMEI, report_number="PL-77")
        add_report(session, clock, serial_number="OTHER-1", report_number="PL-78")
        listing = police.get("/stolen").get_data(as_text=True)
        assert "PL-77" in listing and "PL-78" in listing
        found = police.get("/stolen?q=49 015420 323751 8").get_data(as_text=True)
        assert "PL-77" in found and "PL-78" not in found
        response = police.post(f"/stolen/{report.id}/withdraw", follow_redirects=True)
        assert "Report PL-77 withdrawn." in response.get_data(as_text=True)
        session.expire_all()
        assert session.get(StolenReport, report.id).status == "withdrawn"
        withdrawn = police.get("/stolen?status=withdrawn").get_data(as_text=True)
        assert "PL-77" in withdrawn and "PL-78" not in withdrawn

    def test_withdrawing_an_unknown_report_is_not_found(self, police):
        assert police.post("/stolen/999/withdraw").status_code == 404

    @pytest.mark.parametrize("role", ["dealer", "municipality", "enforcement", "admin"])
    def test_only_the_police_reach_the_report_pages(self, client, make, role):
        make.user(role, email=f"{role}@example.nl")
        client.post("/login", data={"email": f"{role}@example.nl", "password": PASSWORD})
        assert client.get("/stolen").status_code == 403
        assert client.get("/stolen/new").status_code == 403

    def test_without_login_the_report_pages_send_to_the_login(self, client):
        assert client.get("/stolen").status_code == 302


class TestWithCsrfProtection:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_public_check_form_carries_its_token_and_answers(self, client):
        import re

        page = client.get("/check").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "the check form renders no CSRF token"
        response = client.post(
            "/check", data={"csrf_token": token.group(1), "identifier": "WBK-UNKNOWN-1"}
        )
        assert response.status_code == 200
        assert "Geen melding" in response.get_data(as_text=True)

    def test_a_form_without_its_token_is_explained_in_dutch(self, client):
        response = client.post("/check", data={"identifier": "WBK-UNKNOWN-1"})
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Het formulier was verlopen" in html and "CSRF" not in html


@pytest.fixture
def dutch_police(client, make):
    make.user("police", email="agent@politie.nl")
    client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
    return client  # Dutch: the default


@pytest.mark.parametrize(
    ("fields", "field", "dutch"),
    [
        ({"report_number": ""}, "report_number", "Dit veld is verplicht."),
        ({"report_number": "P" * 65}, "report_number", "Geef het aangiftenummer: 1 tot 64 tekens."),
        ({"brand": "B" * 101}, "brand", "Hoogstens 100 tekens."),
        ({"model": "M" * 101}, "model", "Hoogstens 100 tekens."),
        ({"description": "d" * 2001}, "description", "Hoogstens 2000 tekens."),
        ({"brand": "Gaz\u202eelle"}, "brand", "Verwijder stuurtekens"),
        ({"model": "Ultimate\tC8"}, "model", "Gebruik één regel, zonder tabs."),
        ({"reported_at": "1800-01-01T10:00"}, "reported_at", "Geef een datum tussen 1900"),
    ],
)
def test_the_report_form_s_messages_are_dutch_on_a_dutch_page(
    dutch_police, session, fields, field, dutch
):
    response = dutch_police.post("/stolen/new", data=form(**fields))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    error = text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert dutch in error, error
    assert session.query(StolenReport).count() == 0
