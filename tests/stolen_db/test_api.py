"""The Stop Heling API: the public check and the police's theft reports (API.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stolen_db.models import StolenReport
from stolen_db.service import aware

from .helpers import IMEI, IMEI_BAD_CHECK, add_report


def report_body(**fields):
    body = {
        "report_number": "PL0900-2026000123",
        "reported_at": "2026-11-26T21:30:00+01:00",
        "category": "phone",
        "brand": "Apple",
        "model": "iPhone 13",
        "imei": "49-015420-323751-8",
        "description": "black, blue case",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


class TestPublicCheck:
    def test_a_reported_imei_answers_reported_stolen_with_exactly_the_documented_fields(
        self, api, session, clock
    ):
        add_report(session, clock, imei=IMEI)
        response = api.get("/api/v1/stolen-check?identifier=49 015420 323751 8")
        assert response.status_code == 200
        body = response.json
        assert set(body) == {"identifier", "result", "checked_at", "notice"}
        assert body["identifier"] == "49 015420 323751 8"
        assert body["result"] == "reported_stolen"
        assert datetime.fromisoformat(body["checked_at"]) == clock.now()
        assert "not a guarantee" in body["notice"]

    def test_an_unknown_identifier_answers_no_report_with_the_same_fields(self, api):
        body = api.get("/api/v1/stolen-check?identifier=XYZ123456").json
        assert set(body) == {"identifier", "result", "checked_at", "notice"}
        assert body["result"] == "no_report"

    def test_the_answer_reveals_nothing_of_the_report(self, api, session, clock):
        report = add_report(
            session, clock, serial_number="SN-778899", brand="Canon", description="victim: Jansen"
        )
        text = api.get("/api/v1/stolen-check?identifier=sn778899").get_data(as_text=True)
        assert "reported_stolen" in text
        for secret in (report.report_number, "Canon", "Jansen", "778899"):
            assert secret not in text.replace("sn778899", "")

    @pytest.mark.parametrize("typed", ["SN-778899", "sn 778899", "SN778899", "Sn.778.899"])
    def test_exact_and_normalised_serial_numbers_are_reported(self, api, session, clock, typed):
        add_report(session, clock, serial_number="SN-778899", brand="Canon")
        assert api.get(f"/api/v1/stolen-check?identifier={typed}").json["result"] == (
            "reported_stolen"
        )

    @pytest.mark.parametrize("typed", ["5N-778899", "SN-778898", "SN-77889"])
    def test_lookalike_and_near_matches_are_not_reported_to_the_public(
        self, api, session, clock, typed
    ):
        add_report(session, clock, serial_number="SN-778899", brand="Canon")
        response = api.get(f"/api/v1/stolen-check?identifier={typed}&brand=Canon")
        assert response.json["result"] == "no_report"

    def test_a_withdrawn_report_is_no_longer_reported(self, api, session, clock):
        report = add_report(session, clock, imei=IMEI)
        api.post(f"/api/v1/stolen/{report.id}/withdraw", as_="police")
        assert api.get(f"/api/v1/stolen-check?identifier={IMEI}").json["result"] == "no_report"

    def test_a_frame_number_is_matched_with_its_brand_when_the_brand_is_given(
        self, api, session, clock
    ):
        add_report(session, clock, category="bicycle", brand="Gazelle", frame_number="GZ4471234")
        check = "/api/v1/stolen-check?identifier=gz4471234"
        assert api.get(check).json["result"] == "reported_stolen"
        assert api.get(check + "&brand=gazelle").json["result"] == "reported_stolen"
        assert api.get(check + "&brand=Batavus").json["result"] == "no_report"

    def test_text_with_letters_is_not_taken_for_an_imei(self, api, session, clock):
        add_report(session, clock, imei=IMEI)
        result = api.get(f"/api/v1/stolen-check?identifier=SN{IMEI}").json["result"]
        assert result == "no_report"

    @pytest.mark.parametrize("query", ["", "?identifier=", "?identifier=" + "A" * 101])
    def test_a_missing_or_too_long_identifier_is_a_validation_error(self, api, query):
        response = api.get("/api/v1/stolen-check" + query)
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert "identifier" in response.json["errors"]

    def test_the_check_needs_no_token(self, client):
        assert client.get("/api/v1/stolen-check?identifier=123456").status_code == 200


class TestReportTheft:
    def test_the_police_report_a_theft(self, api, session):
        response = api.post("/api/v1/stolen", report_body(), as_="police")
        assert response.status_code == 201, response.json
        assert response.json["status"] == "active"
        assert response.json["retroactive_hits"] == 0
        report = session.get(StolenReport, response.json["id"])
        assert report.imei == "49-015420-323751-8"
        assert report.imei_norm == IMEI
        assert report.brand_norm == "apple"
        assert aware(report.reported_at) == datetime(2026, 11, 26, 20, 30, tzinfo=UTC)

    def test_a_report_without_any_identifier_is_refused_naming_the_fields(self, api, session):
        response = api.post(
            "/api/v1/stolen", report_body(imei=None, serial_number="  "), as_="police"
        )
        assert response.status_code == 422
        assert set(response.json["errors"]) == {"imei", "serial_number", "frame_number"}
        assert session.query(StolenReport).count() == 0

    @pytest.mark.parametrize("imei", [IMEI_BAD_CHECK, "49015420323751", "4901542032375180"])
    def test_an_imei_with_a_wrong_check_digit_or_length_is_refused(self, api, session, imei):
        response = api.post("/api/v1/stolen", report_body(imei=imei), as_="police")
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["imei"]
        assert session.query(StolenReport).count() == 0

    def test_a_duplicate_report_number_is_a_conflict(self, api, session):
        assert api.post("/api/v1/stolen", report_body(), as_="police").status_code == 201
        again = api.post("/api/v1/stolen", report_body(imei=None, serial_number="X1"), as_="police")
        assert again.status_code == 409
        assert again.content_type == "application/problem+json"
        assert session.query(StolenReport).count() == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("category", "spaceship"),
            ("reported_at", "yesterday"),
            ("report_number", ""),
            ("brand", "x" * 101),
            ("colour", "red"),
        ],
    )
    def test_bad_fields_are_named_in_a_validation_error(self, api, field, value):
        response = api.post("/api/v1/stolen", report_body(**{field: value}), as_="police")
        assert response.status_code == 422
        assert field in response.json["errors"]

    def test_a_reported_time_without_offset_is_refused(self, api, session):
        response = api.post(
            "/api/v1/stolen", report_body(reported_at="2026-07-01T12:00:00"), as_="police"
        )
        assert response.status_code == 422
        assert "reported_at" in response.json["errors"]
        assert session.query(StolenReport).count() == 0

    def test_a_reported_time_keeps_its_moment(self, api, session):
        response = api.post(
            "/api/v1/stolen", report_body(reported_at="2026-07-01T12:00:00+02:00"), as_="police"
        )
        report = session.get(StolenReport, response.json["id"])
        assert aware(report.reported_at) == datetime(2026, 7, 1, 10, tzinfo=UTC)

    def test_only_the_police_report_thefts(self, api):
        assert api.post("/api/v1/stolen", report_body(), as_="dealer").status_code == 403
        assert api.post("/api/v1/stolen", report_body()).status_code == 401


class TestWithdraw:
    def test_the_police_withdraw_a_report(self, api, session, clock):
        report = add_report(session, clock, imei=IMEI)
        response = api.post(f"/api/v1/stolen/{report.id}/withdraw", as_="police")
        assert response.status_code == 200
        assert response.json == {"id": report.id, "status": "withdrawn"}
        session.expire_all()
        assert aware(session.get(StolenReport, report.id).withdrawn_at) == clock.now()

    def test_withdrawing_twice_changes_nothing(self, api, session, clock):
        report = add_report(session, clock, imei=IMEI)
        api.post(f"/api/v1/stolen/{report.id}/withdraw", as_="police")
        again = api.post(f"/api/v1/stolen/{report.id}/withdraw", as_="police")
        assert again.status_code == 200 and again.json["status"] == "withdrawn"

    def test_an_unknown_report_is_not_found(self, api):
        response = api.post("/api/v1/stolen/999/withdraw", as_="police")
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


def test_the_openapi_document_describes_the_stop_heling_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    check = spec["paths"]["/api/v1/stolen-check"]["get"]
    assert {p["name"] for p in check["parameters"]} >= {"identifier", "brand"}
    assert "200" in check["responses"]
    assert "requestBody" in spec["paths"]["/api/v1/stolen"]["post"]
    assert "201" in spec["paths"]["/api/v1/stolen"]["post"]["responses"]
    assert "200" in spec["paths"]["/api/v1/stolen/{report_id}/withdraw"]["post"]["responses"]
    assert "200" in spec["paths"]["/api/v1/hits"]["get"]["responses"]
