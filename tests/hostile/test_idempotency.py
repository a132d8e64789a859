"""Safe retries: the same Idempotency-Key and body answer what the first request answered
and write nothing new; another body is a 422; concurrent retries make one entry."""

from __future__ import annotations

import contextlib
import threading

import pytest
from flask import request
from sqlalchemy import func, select

from register.dealers.meldplicht import DolReport
from register.extensions import db
from register.idempotency import IdempotencyKey, delete_expired
from register.inspections.models import Inspection
from register.purchases.models import Correction, Purchase, Sale
from stolen_db.models import StolenReport
from tests.register.purchases.helpers import phone, purchase, register

CHECKS = dict.fromkeys(
    (
        "registered_with_municipality",
        "register_kept",
        "entries_complete",
        "holding_period_respected",
        "stock_matches_register",
    ),
    True,
)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def post(api, path, body, as_, key, **kwargs):
    headers = {**api.headers(as_), "Idempotency-Key": key}
    return api.client.post(path, json=body, headers=headers, **kwargs)


@pytest.fixture
def dealer_user(make):
    return make.user("dealer")


def assert_same_answer(first, again):
    assert again.status_code == first.status_code
    assert again.get_data() == first.get_data()
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers.get("Idempotent-Replayed") == "true"


class TestRetries:
    def test_a_retried_registration_answers_the_same_and_registers_once(self, api, dealer_user):
        first = post(api, "/api/v1/purchases", purchase(), dealer_user, "till-1-0001")
        assert first.status_code == 201, first.json
        again = post(api, "/api/v1/purchases", purchase(), dealer_user, "till-1-0001")
        assert_same_answer(first, again)
        assert again.json["sequence_number"] == first.json["sequence_number"] == 1
        assert count(Purchase) == 1
        assert count(IdempotencyKey) == 1

    def test_the_same_key_with_another_body_is_422(self, api, dealer_user):
        assert post(api, "/api/v1/purchases", purchase(), dealer_user, "k").status_code == 201
        other = purchase(items=[phone(price_cents=1)])
        response = post(api, "/api/v1/purchases", other, dealer_user, "k")
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert "Idempotency-Key" in response.json["errors"]
        assert count(Purchase) == 1

    def test_keys_are_scoped_to_the_account(self, api, make):
        first, second = make.user("dealer"), make.user("dealer")
        assert post(api, "/api/v1/purchases", purchase(), first, "shared").status_code == 201
        response = post(api, "/api/v1/purchases", purchase(), second, "shared")
        assert response.status_code == 201
        assert response.headers.get("Idempotent-Replayed") is None
        assert count(Purchase) == 2

    def test_without_a_key_a_retry_registers_again(self, api, dealer_user):
        register(api, dealer_user)
        register(api, dealer_user)
        assert count(Purchase) == 2
        assert count(IdempotencyKey) == 0

    def test_a_refused_request_stores_no_key_and_can_be_retried_once_fixed(self, api, dealer_user):
        bad = purchase(items=[phone(price_cents=-1)])
        assert post(api, "/api/v1/purchases", bad, dealer_user, "fix-me").status_code == 422
        assert count(IdempotencyKey) == 0
        assert post(api, "/api/v1/purchases", purchase(), dealer_user, "fix-me").status_code == 201

    @pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "é-key"])
    def test_a_key_that_is_not_1_to_255_printable_characters_is_422(self, api, dealer_user, key):
        headers = {**api.headers(dealer_user), "Idempotency-Key": key.encode().decode("latin-1")}
        response = api.client.post("/api/v1/purchases", json=purchase(), headers=headers)
        assert response.status_code == 422
        assert "Idempotency-Key" in response.json["errors"]
        assert count(Purchase) == 0

    def test_a_key_is_kept_24_hours_then_free_again(self, api, dealer_user, clock):
        post(api, "/api/v1/purchases", purchase(), dealer_user, "day")
        clock.advance(hours=23, minutes=59)
        again = post(api, "/api/v1/purchases", purchase(), dealer_user, "day")
        assert again.headers.get("Idempotent-Replayed") == "true"
        clock.advance(minutes=2)
        later = post(
            api, "/api/v1/purchases", purchase(acquired_at=clock.now().isoformat()), dealer_user,
            "day",
        )  # fmt: skip
        assert later.status_code == 201 and later.headers.get("Idempotent-Replayed") is None
        assert count(Purchase) == 2

    def test_the_workers_housekeeping_deletes_expired_keys(self, app, api, dealer_user, clock):
        from notifications.worker import Worker, WorkerSettings
        from tests.conftest import WEBHOOK_SECRET

        post(api, "/api/v1/purchases", purchase(), dealer_user, "old")
        clock.advance(hours=12)
        post(api, "/api/v1/purchases", purchase(), dealer_user, "young")
        clock.advance(hours=13)
        worker = Worker(
            app, settings=WorkerSettings(url="http://127.0.0.1:9/", secret=WEBHOOK_SECRET)
        )
        jobs = {job.id: job for job in worker.build_scheduler().get_jobs()}
        jobs["expire-idempotency-keys"].func()
        db.session.rollback()
        assert db.session.scalars(select(IdempotencyKey.key)).all() == ["young"]
        assert delete_expired(db.session, clock.now()) == 0


class TestEveryCreatingPost:
    def test_corrections_and_sales_are_idempotent(self, api, dealer_user, clock):
        entry = register(api, dealer_user)
        item_id = entry["items"][0]["id"]
        body = {"reason": "typo", "changes": {"items": [{"id": item_id, "model": "iPhone 14"}]}}
        path = f"/api/v1/purchases/{entry['id']}/corrections"
        first = post(api, path, body, dealer_user, "c1")
        assert first.status_code == 201, first.json
        assert_same_answer(first, post(api, path, body, dealer_user, "c1"))
        assert count(Correction) == 1
        clock.advance(days=14)
        sale = {"sold_at": clock.now().isoformat(), "price_cents": 30000}
        first = post(api, f"/api/v1/items/{item_id}/sale", sale, dealer_user, "s1")
        assert first.status_code == 200, first.json
        assert_same_answer(
            first, post(api, f"/api/v1/items/{item_id}/sale", sale, dealer_user, "s1")
        )
        assert count(Sale) == 1

    def test_the_csv_import_is_idempotent(self, api, dealer_user):
        csv_text = (
            "acquired_at,category,brand,imei,price_cents,seller_name,seller_birth_date,"
            "seller_street,seller_house_number,seller_postcode,seller_city,"
            "id_document_type,id_document_number,id_document_country\n"
            "2026-11-27T09:00:00+01:00,phone,Apple,490154203237518,1000,Jan,1990-01-01,"
            "Kerkstraat,1,1017 GC,Amsterdam,id_card,IXF123456,NL\n"
        )
        headers = {**api.headers(dealer_user), "Idempotency-Key": "import-1"}
        first = api.client.post(
            "/api/v1/purchases/import", data=csv_text, headers=headers, content_type="text/csv"
        )
        assert first.status_code == 201, first.get_data(as_text=True)
        again = api.client.post(
            "/api/v1/purchases/import", data=csv_text, headers=headers, content_type="text/csv"
        )
        assert_same_answer(first, again)
        assert count(Purchase) == 1

    def test_police_reports_dol_reports_and_inspections_are_idempotent(self, api, make):
        police = make.user("police")
        report = {"report_number": "PL-9", "reported_at": "2026-11-27T08:00:00+01:00",
                  "category": "phone", "imei": "490154203237518"}  # fmt: skip
        first = post(api, "/api/v1/stolen", report, police, "r1")
        assert first.status_code == 201, first.json
        assert_same_answer(first, post(api, "/api/v1/stolen", report, police, "r1"))
        assert count(StolenReport) == 1

        dealer = make.user("dealer")
        stop = {"type": "stop", "effective_date": "2026-12-31"}
        first = post(api, "/api/v1/meldplicht", stop, dealer, "m1")
        assert first.status_code == 201, first.json
        assert_same_answer(first, post(api, "/api/v1/meldplicht", stop, dealer, "m1"))
        assert count(DolReport) == 1

        officer = make.user("enforcement")
        inspection = {"dealer_id": make.dealer().id, "inspected_at": "2026-11-27T08:00:00+01:00",
                      "checks": CHECKS, "outcome": "compliant"}  # fmt: skip
        first = post(api, "/api/v1/inspections", inspection, officer, "i1")
        assert first.status_code == 201, first.json
        assert_same_answer(first, post(api, "/api/v1/inspections", inspection, officer, "i1"))
        assert count(Inspection) == 1


class TestConcurrentRetries:
    def test_two_retries_at_once_make_one_entry_and_get_one_answer(self, app, api, dealer_user):
        """On PostgreSQL both requests look the key up before either stores it (a barrier
        holds them there), so the unique constraint decides. On SQLite the second request
        cannot get past BEGIN IMMEDIATE while the first holds the write lock, so the barrier
        gives way and the second finds the stored key. Either way: one entry, one answer."""
        barrier = threading.Barrier(2, timeout=5)

        @app.before_request
        def _both_have_looked_the_key_up():
            if request.headers.get("Idempotency-Key") == "race":
                # SQLite: the other request waits for the write lock, the barrier breaks.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()

        headers = {**api.headers(dealer_user), "Idempotency-Key": "race"}
        answers = [None, None]

        def send(index):
            answers[index] = app.test_client().post(
                "/api/v1/purchases", json=purchase(), headers=headers
            )

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(a is not None and a.status_code == 201 for a in answers), [
            a.get_data(as_text=True) if a is not None else None for a in answers
        ]
        assert answers[0].get_data() == answers[1].get_data()
        assert {a.headers.get("Idempotent-Replayed") for a in answers} == {None, "true"}
        assert count(Purchase) == 1
        assert count(IdempotencyKey) == 1
        numbers = db.session.scalars(select(Purchase.sequence_number)).all()
        assert numbers == [1]


def test_the_openapi_document_names_the_header_on_every_post_that_honours_it(app, client):
    import re

    from register.idempotency import HEADER, IDEMPOTENT_ENDPOINTS

    spec = client.get("/api/v1/openapi.json").json
    honouring = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint in IDEMPOTENT_ENDPOINTS and "POST" in rule.methods
    }
    assert len(honouring) == len(IDEMPOTENT_ENDPOINTS)
    for path, operations in spec["paths"].items():
        if "post" not in operations:
            continue
        headers = [p for p in operations["post"].get("parameters", []) if p["in"] == "header"]
        documented = [p for p in headers if p["name"] == HEADER]
        if path in honouring:
            [parameter] = documented
            assert parameter["required"] is False
            assert "retry" in parameter["description"]
            assert parameter["schema"]["maxLength"] == 255
        else:
            assert documented == [], path
    assert honouring <= set(spec["paths"])
