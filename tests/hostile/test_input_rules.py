"""Every input rule of the contract (API.md "Input rules for every endpoint"), case by case:
a clear refusal naming the field, nothing stored, never a 500."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from register.inspections.models import Inspection
from register.purchases.models import Correction, Item, Purchase
from tests.register.purchases.helpers import phone, purchase, register

LONE_SURROGATE_JSON = '"\\ud800"'


@pytest.fixture
def dealer_user(make):
    return make.user("dealer")


def post_raw(client, api, path, body: bytes | str, as_, content_type="application/json"):
    return client.post(path, data=body, headers=api.headers(as_), content_type=content_type)


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def assert_problem(response, status: int, field: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/problem+json"
    if field is not None:
        assert field in response.json["errors"], response.json


class TestPathIds:
    @pytest.mark.parametrize(
        "raw",
        ["0", "-1", "9223372036854775808", "99999999999999999999999", "1e3", "abc", "2147483648"],
    )
    def test_an_id_that_is_not_a_stored_positive_integer_is_404(self, api, dealer_user, raw):
        assert_problem(api.get(f"/api/v1/purchases/{raw}", as_=dealer_user), 404)
        assert_problem(api.get(f"/api/v1/meldplicht/{raw}", as_="municipality"), 404)
        response = api.post(f"/api/v1/items/{raw}/sale", {"x": 1}, as_=dealer_user)
        assert_problem(response, 404)

    def test_the_largest_id_is_an_ordinary_not_found(self, api, dealer_user):
        response = api.get("/api/v1/purchases/9223372036854775807", as_=dealer_user)
        assert_problem(response, 404)

    def test_web_pages_answer_404_for_huge_ids(self, client, make):
        user = make.user("dealer")
        with client.session_transaction() as web_session:
            web_session["_user_id"] = user.get_id()
            web_session["_fresh"] = True
        for path in ("/purchases/9223372036854775808", "/items/35184372088832"):
            assert client.get(path).status_code == 404

    def test_the_openapi_document_bounds_path_ids(self, client):
        spec = client.get("/api/v1/openapi.json").json
        parameters = spec["paths"]["/api/v1/purchases/{purchase_id}"]["parameters"]
        schema = next(p for p in parameters if p["name"] == "purchase_id")["schema"]
        assert schema == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


class TestQueryIds:
    @pytest.mark.parametrize("raw", ["-3820744860120", "0", "9223372036854775808", "x"])
    def test_a_bad_query_id_is_422_naming_it(self, api, raw):
        response = api.get(f"/api/v1/meldplicht?dealer_id={raw}", as_="municipality")
        assert_problem(response, 422, "dealer_id")

    def test_a_query_id_beyond_the_database_matches_nothing(self, api):
        response = api.get("/api/v1/meldplicht?dealer_id=35184372088832", as_="municipality")
        assert response.status_code == 200
        assert response.json["total"] == 0

    @pytest.mark.parametrize("raw", ["0", "-1", "9223372036854775808", "1.5"])
    def test_a_bad_page_is_422(self, api, raw):
        assert_problem(api.get(f"/api/v1/hits?page={raw}", as_="police"), 422, "page")

    def test_a_page_far_past_the_end_is_empty(self, api, dealer_user):
        register(api, dealer_user)
        response = api.get("/api/v1/purchases?page=9223372036854775807", as_=dealer_user)
        assert response.status_code == 200
        assert response.json["items"] == [] and response.json["total"] == 1

    def test_web_lists_survive_a_huge_page(self, client, make):
        user = make.user("police")
        with client.session_transaction() as web_session:
            web_session["_user_id"] = user.get_id()
            web_session["_fresh"] = True
        for path in ("/hits", "/stolen", "/notifications"):
            assert client.get(f"{path}?page=9223372036854775807").status_code == 200


class TestText:
    @pytest.mark.parametrize(
        "bad",
        [
            "nul\x00",
            "bell\x07",
            "esc\x1b[31m",
            "del\x7f",
            "c1\x85",
            "\u202eevil",
            "\u2066x",
            "\uffff",
        ],
    )
    def test_control_and_bidi_characters_are_refused_in_every_text_field(
        self, api, dealer_user, session, bad
    ):
        for body, field in (
            (purchase(seller={**purchase()["seller"], "name": "Jan" + bad}), "seller.name"),
            (purchase(items=[phone(serial_number="SN" + bad)]), "items.0.serial_number"),
            (purchase(items=[phone(description="ok" + bad)]), "items.0.description"),
        ):
            assert_problem(api.post("/api/v1/purchases", body, as_=dealer_user), 422, field)
        assert count(session, Purchase) == 0

    def test_a_lone_surrogate_is_refused_naming_the_field(self, client, api, dealer_user, session):
        body = json.dumps(purchase()).replace('"Jan de Vries"', LONE_SURROGATE_JSON)
        response = post_raw(client, api, "/api/v1/purchases", body, dealer_user)
        assert_problem(response, 422, "seller.name")
        assert count(session, Purchase) == 0

    def test_a_lone_surrogate_in_a_police_report_is_refused(self, client, api):
        body = json.dumps(
            {"report_number": "X", "reported_at": "2026-11-27T09:00:00+01:00",
             "category": "phone", "imei": "490154203237518", "description": "x"}
        ).replace('"x"', LONE_SURROGATE_JSON)  # fmt: skip
        response = post_raw(client, api, "/api/v1/stolen", body, "police")
        assert_problem(response, 422, "description")

    def test_free_text_keeps_newlines_and_tabs_but_names_may_not(self, api, dealer_user):
        ok = api.post(
            "/api/v1/purchases",
            purchase(items=[phone(description="line one\nline\ttwo")]),
            as_=dealer_user,
        )
        assert ok.status_code == 201, ok.json
        refused = api.post(
            "/api/v1/purchases",
            purchase(seller={**purchase()["seller"], "name": "Jan\nde Vries"}),
            as_=dealer_user,
        )
        assert_problem(refused, 422, "seller.name")

    def test_a_nul_in_a_query_is_422_naming_the_parameter(self, client):
        response = client.get("/api/v1/stolen-check?identifier=abc%00def")
        assert_problem(response, 422, "identifier")

    def test_a_nul_in_a_web_form_or_query_is_a_400_page(self, client):
        assert client.get("/check?identifier=a%00b").status_code == 400
        response = client.post("/login", data={"email": "a\x00@example.nl", "password": "x"})
        assert response.status_code == 400


class TestDatesAndTimestamps:
    @pytest.mark.parametrize(
        ("acquired_at", "why"),
        [
            ("9999-12-31T10:00:00+01:00", "after 2100"),
            ("0001-01-01T10:00:00+01:00", "before 1900"),
            ("2026-11-27T09:15:00", "no offset"),
            ("1900-06-01T10:00:00+01:00", "older than the register keeps"),
        ],
    )
    def test_an_acquisition_time_out_of_rule_is_422(
        self, api, dealer_user, session, acquired_at, why
    ):
        response = api.post("/api/v1/purchases", purchase(acquired_at), as_=dealer_user)
        assert_problem(response, 422, "acquired_at")
        assert count(session, Purchase) == 0

    def test_a_birth_date_of_year_one_is_422(self, api, dealer_user):
        body = purchase(seller={**purchase()["seller"], "birth_date": "0001-01-01"})
        response = api.post("/api/v1/purchases", body, as_=dealer_user)
        assert_problem(response, 422, "seller.birth_date")

    def test_a_dol_effective_date_in_9999_is_422(self, api, dealer_user):
        response = api.post(
            "/api/v1/meldplicht", {"type": "stop", "effective_date": "9999-01-01"}, as_=dealer_user
        )
        assert_problem(response, 422, "effective_date")

    def test_a_reported_at_of_year_one_without_offset_is_422(self, api):
        body = {"report_number": "R1", "reported_at": "0001-01-01T00:00:00", "category": "phone",
                "imei": "490154203237518"}  # fmt: skip
        assert_problem(api.post("/api/v1/stolen", body, as_="police"), 422, "reported_at")

    def test_the_summary_refuses_year_one_and_the_dashboard_ignores_it(self, api, client, make):
        response = api.get("/api/v1/reports/summary?from=0001-01-01", as_="admin")
        assert_problem(response, 422, "from")
        user = make.user("admin")
        with client.session_transaction() as web_session:
            web_session["_user_id"] = user.get_id()
            web_session["_fresh"] = True
        for query in ("from=0001-01-01", "to=0001-01-01", "from=9999-12-31&to=0001-01-01"):
            assert client.get(f"/dashboard?{query}").status_code == 200
            assert client.get(f"/dashboard/summary.csv?{query}").status_code == 200

    def test_an_inspection_keeps_the_offset_it_was_given(self, api, make, session):
        dealer = make.dealer()
        officer = make.user("enforcement")
        body = {
            "dealer_id": dealer.id,
            "inspected_at": "2026-11-27T08:00:00+05:00",
            "checks": dict.fromkeys(
                (
                    "registered_with_municipality",
                    "register_kept",
                    "entries_complete",
                    "holding_period_respected",
                    "stock_matches_register",
                ),
                True,
            ),
            "outcome": "compliant",
        }
        created = api.post("/api/v1/inspections", body, as_=officer)
        assert created.status_code == 201, created.json
        assert created.json["inspected_at"] == "2026-11-27T08:00:00+05:00"
        read = api.get(f"/api/v1/inspections/{created.json['id']}", as_=officer)
        assert read.json["inspected_at"] == "2026-11-27T08:00:00+05:00"
        assert count(session, Inspection) == 1


class TestMoney:
    @pytest.mark.parametrize("price", [-1, 1_000_000_001, 2**63, 10**30, True, 1.5, "100"])
    def test_a_price_out_of_range_is_422_on_registration(self, api, dealer_user, session, price):
        body = purchase(items=[phone(price_cents=price)])
        assert_problem(api.post("/api/v1/purchases", body, as_=dealer_user), 422,
                       "items.0.price_cents")  # fmt: skip
        assert count(session, Item) == 0

    def test_ten_million_euro_is_the_largest_price(self, api, dealer_user):
        body = purchase(items=[phone(price_cents=1_000_000_000)])
        assert api.post("/api/v1/purchases", body, as_=dealer_user).status_code == 201

    @pytest.mark.parametrize("price", [2**63, 10**30, -5])
    def test_a_correction_cannot_set_a_price_out_of_range(self, api, dealer_user, session, price):
        entry = register(api, dealer_user)
        changes = {"items": [{"id": entry["items"][0]["id"], "price_cents": price}]}
        response = api.post(
            f"/api/v1/purchases/{entry['id']}/corrections",
            {"reason": "typo", "changes": changes},
            as_=dealer_user,
        )
        assert_problem(response, 422, "changes.items.0.price_cents")
        assert count(session, Correction) == 0

    def test_a_sale_price_out_of_range_is_422(self, api, dealer_user):
        entry = register(api, dealer_user)
        response = api.post(
            f"/api/v1/items/{entry['items'][0]['id']}/sale",
            {"sold_at": "2026-12-10T10:00:00+01:00", "price_cents": 2**40},
            as_=dealer_user,
        )
        assert_problem(response, 422, "price_cents")


class TestJsonParsing:
    def test_json_nested_deeper_than_32_levels_is_400(self, client, api, dealer_user):
        deep = '{"a":' * 10_000 + "1" + "}" * 10_000
        assert_problem(post_raw(client, api, "/api/v1/purchases", deep, dealer_user), 400)
        assert_problem(post_raw(client, api, "/api/v1/stolen", deep, "police"), 400)

    def test_32_levels_are_read(self, client, api, dealer_user):
        nested = '{"items": ' + "[" * 31 + "]" * 31 + "}"
        response = post_raw(client, api, "/api/v1/purchases", nested, dealer_user)
        assert response.status_code == 422  # read, then refused field by field

    @pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
    def test_non_finite_numbers_are_400(self, client, api, dealer_user, number):
        body = json.dumps(purchase()).replace("25000", number)
        assert_problem(post_raw(client, api, "/api/v1/purchases", body, dealer_user), 400)

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "latin-1"])
    def test_json_that_is_not_utf8_is_400(self, client, api, dealer_user, encoding):
        body = json.dumps(purchase(), ensure_ascii=False).replace("Jan", "Jén").encode(encoding)
        assert_problem(post_raw(client, api, "/api/v1/purchases", body, dealer_user), 400)

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/purchases",
            "/api/v1/stolen",
            "/api/v1/meldplicht",
            "/api/v1/auth/token",
            "/api/v1/purchases/import",
        ],
    )
    def test_an_empty_body_where_one_is_needed_is_400(self, client, api, dealer_user, path):
        response = post_raw(
            client, api, path, b"", dealer_user if "stolen" not in path else "police"
        )
        assert_problem(response, 400)

    def test_an_import_upload_without_its_file_names_the_field(self, client, api, dealer_user):
        headers = api.headers(dealer_user)
        for data in (
            {"other": "x"},
            {"file": (io.BytesIO(b""), "empty.csv")},
            {"file": (io.BytesIO(b"xV\xb2$\xec\x05"), "binary.csv")},
        ):
            response = client.post(
                "/api/v1/purchases/import", data=data, headers=headers,
                content_type="multipart/form-data",
            )  # fmt: skip
            assert_problem(response, 422, "file")

    def test_a_bodiless_action_still_needs_no_body(self, client, api, session, clock):
        from tests.register.purchases.helpers import stolen_report

        report = stolen_report(session, imei="490154203237518")
        response = client.post(
            f"/api/v1/stolen/{report.id}/withdraw", headers=api.headers("police")
        )
        assert response.status_code == 200


class TestRedirects:
    @pytest.mark.parametrize(
        "target",
        ["/x\r\nSet-Cookie: a=b", "\r\n//evil.example", "/\\evil.example", "/\t/evil.example",
         "//evil.example", "https://evil.example/", "javascript:alert(1)", "/ok\x00"],
    )  # fmt: skip
    def test_next_never_leaves_the_site_and_never_fails(self, client, make, target):
        make.user("dealer", email="next@example.nl")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"email": "next@example.nl", "password": "correct horse battery"},
        )
        assert response.status_code in (302, 303, 400)
        if response.status_code != 400:
            assert response.headers["Location"] == "/"
        switched = client.post("/language/en", data={"next": target})
        assert switched.status_code in (302, 400)
        if switched.status_code == 302:
            assert switched.headers["Location"] == "/"

    def test_a_path_of_our_own_is_followed(self, client):
        response = client.post("/language/en", data={"next": "/purchases?page=2"})
        assert response.headers["Location"] == "/purchases?page=2"


class TestCsvExport:
    def test_the_register_export_neutralises_formula_cells(self, api, client, dealer_user):
        hostile = '=HYPERLINK("http://evil.example","x")'
        body = purchase(
            seller={**purchase()["seller"], "name": hostile},
            items=[phone(description="+1+1", brand="@SUM(A1)", model="-2+3")],
        )
        register(api, dealer_user, body)
        with client.session_transaction() as web_session:
            web_session["_user_id"] = dealer_user.get_id()
            web_session["_fresh"] = True
        text = client.get("/purchases/export.csv").get_data(as_text=True).lstrip("\ufeff")
        import csv

        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["seller_name"] == "'" + hostile
        assert rows[0]["description"] == "'+1+1"
        assert rows[0]["brand"] == "'@SUM(A1)"
        assert rows[0]["model"] == "'-2+3"
        assert rows[0]["price_cents"] == "25000"  # numbers stay numbers

    def test_safe_cell_covers_every_formula_start(self):
        from register.csv_export import safe_cell

        for start in ("=", "+", "-", "@", "\t", "\r"):
            assert safe_cell(start + "1") == "'" + start + "1"
        assert safe_cell("Jan") == "Jan" and safe_cell(-3) == -3
