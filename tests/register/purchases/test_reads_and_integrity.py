"""Police and enforcement read in scope with a purpose (audited); retention; the hash chain."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import select, text

from register.accounts.models import AuditEntry
from register.extensions import db
from register.purchases.models import Item, Purchase, Seller

from .helpers import IMEI_2, phone, purchase, register


class TestInvestigatingReads:
    def test_police_must_state_a_purpose(self, api, make):
        register(api, make.user("dealer"))
        for path in ("/api/v1/purchases", "/api/v1/purchases/1", "/api/v1/items/1"):
            response = api.get(path, as_="police")
            assert response.status_code == 422, path
            assert response.json["errors"] == {
                "purpose": ["State the purpose: a case number or reason."]
            }

    def test_every_police_read_of_seller_data_is_audited_with_its_purpose(self, api, make, session):
        register(api, make.user("dealer"))
        register(api, make.user("dealer"))
        police = make.user("police")
        page = api.get("/api/v1/purchases?purpose=PL0900-2026-123", as_=police).json
        assert page["total"] == 2
        assert page["items"][0]["seller"]["name"] == "Jan de Vries"
        one = api.get(
            f"/api/v1/purchases/{page['items'][0]['id']}?purpose=PL0900-2026-123", as_=police
        )
        assert one.status_code == 200
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.user_id, e.action, e.purpose) for e in entries] == [
            (police.id, "search_register", "PL0900-2026-123"),
            (police.id, "search_register", "PL0900-2026-123"),
            (police.id, "read_purchase", "PL0900-2026-123"),
        ]
        assert {e.record_id for e in entries} == {str(i["id"]) for i in page["items"]}

    def test_enforcement_reads_only_the_registers_of_its_municipality(self, api, make):
        here = make.municipality()
        there = make.municipality("GM0599", "Rotterdam")
        mine = register(api, make.user("dealer", dealer=make.dealer(municipality=here)))
        theirs = register(api, make.user("dealer", dealer=make.dealer(municipality=there)))
        officer = make.user("enforcement", municipality=here)
        page = api.get("/api/v1/purchases?purpose=controle", as_=officer).json
        assert [p["id"] for p in page["items"]] == [mine["id"]]
        assert (
            api.get(f"/api/v1/purchases/{theirs['id']}?purpose=x", as_=officer).status_code == 404
        )

    def test_a_dealer_reads_without_purpose_and_without_audit(self, api, make, session):
        user = make.user("dealer")
        register(api, user)
        assert api.get("/api/v1/purchases", as_=user).status_code == 200
        assert session.scalar(select(AuditEntry)) is None

    def test_search_by_identifier_category_and_dates(self, api, make):
        user = make.user("dealer")
        register(api, user)
        register(api, user, purchase("2026-11-20T10:00:00+01:00", items=[phone(IMEI_2)]))
        get = lambda q: api.get("/api/v1/purchases?" + q, as_=user).json["total"]  # noqa: E731
        assert get("identifier=35-693803-564380-9") == 1
        assert get("identifier=0000") == 0
        assert get("category=phone") == 2 and get("category=bicycle") == 0
        assert get("from=2026-11-21") == 1 and get("to=2026-11-21") == 1
        assert get("from=2026-11-01&to=2026-11-30&per_page=1") == 2


def run(app, *args):
    result = CliRunner().invoke(args=list(args), cli=app.cli, catch_exceptions=False)
    return result


class TestRetention:
    def test_purge_removes_seller_data_after_four_years_and_keeps_the_item(
        self, api, make, session, clock, app
    ):
        user = make.user("dealer")
        body = register(api, user)
        clock.set(datetime(2030, 11, 27, 9, 0, tzinfo=UTC))  # four years on, not yet past
        assert "purged personal data of 0 sellers" in run(app, "purge-expired").output
        clock.set(datetime(2030, 11, 29, 9, 0, tzinfo=UTC))
        assert "purged personal data of 1 sellers" in run(app, "purge-expired").output
        assert "purged personal data of 0 sellers" in run(app, "purge-expired").output
        session.expire_all()
        seller = session.scalar(select(Seller))
        assert (
            seller.purged_at is not None
            and seller.name is None
            and seller.id_document_number is None
        )
        assert session.get(Item, body["items"][0]["id"]).imei is not None
        read = api.get(f"/api/v1/purchases/{body['id']}", as_=user).json
        assert read["seller"] == {"purged": True, "purged_at": read["seller"]["purged_at"]}
        assert run(app, "verify-register").exit_code == 0

    def test_a_purged_entry_cannot_be_corrected(self, api, make, clock, app):
        user = make.user("dealer")
        body = register(api, user)
        clock.set(datetime(2031, 1, 1, 9, 0, tzinfo=UTC))
        run(app, "purge-expired")
        response = api.post(
            f"/api/v1/purchases/{body['id']}/corrections",
            {"reason": "x", "changes": {"items": [{"id": body["items"][0]["id"], "brand": "B"}]}},
            as_=user,
        )
        assert response.status_code == 409


class TestHashChain:
    def test_verify_register_passes_on_an_untouched_register(self, api, make, app, clock):
        user = make.user("dealer")
        first = register(api, user)
        register(api, user, purchase(items=[phone(IMEI_2)]))
        api.post(
            f"/api/v1/purchases/{first['id']}/corrections",
            {"reason": "typo", "changes": {"seller": {"name": "J. de Vries"}}},
            as_=user,
        )
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
        api.post(
            f"/api/v1/items/{first['items'][0]['id']}/sale",
            {"sold_at": "2026-12-07T12:00:00+01:00", "price_cents": 1},
            as_=user,
        )
        result = run(app, "verify-register", "--dealer", str(user.dealer_id))
        assert result.exit_code == 0, result.output
        assert "4 entries, chain intact" in result.output

    def test_verify_register_names_the_entry_changed_directly_in_the_database(self, api, make, app):
        user = make.user("dealer")
        register(api, user)
        second = register(api, user, purchase(items=[phone(IMEI_2)]))
        register(api, user)
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE items SET price_cents = 100 WHERE id = :id"),
                {"id": second["items"][0]["id"]},
            )
        result = run(app, "verify-register", "--dealer", str(user.dealer_id))
        assert result.exit_code == 1
        assert (
            f"purchase {second['id']} (sequence number 2) was altered: its content no longer "
            "matches its hash"
        ) in result.output

    def test_verify_register_notices_a_changed_seller(self, api, make, app, session):
        user = make.user("dealer")
        body = register(api, user)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE sellers SET name = 'Someone Else'"))
        result = run(app, "verify-register")
        assert result.exit_code == 1
        assert f"purchase {body['id']} (sequence number 1) was altered" in result.output

    def test_verify_register_notices_a_deleted_last_entry(self, api, make, app, session):
        user = make.user("dealer")
        register(api, user)
        last = register(api, user, purchase(items=[phone(IMEI_2)]))
        with db.engine.begin() as conn:
            for table in ("item_identifier_keys", "item_identifier_grams", "item_words"):
                conn.execute(
                    text(
                        f"DELETE FROM {table} WHERE item_id IN "
                        "(SELECT id FROM items WHERE purchase_id = :id)"
                    ),
                    {"id": last["id"]},
                )
            conn.execute(text("DELETE FROM items WHERE purchase_id = :id"), {"id": last["id"]})
            conn.execute(text("DELETE FROM purchases WHERE id = :id"), {"id": last["id"]})
        result = run(app, "verify-register")
        assert result.exit_code == 1
        assert "the last entry of the register is missing" in result.output

    def test_verify_register_refuses_an_unknown_dealer(self, app):
        result = run(app, "verify-register", "--dealer", "999")
        assert result.exit_code == 1
        assert "no dealer with id 999" in result.output

    def test_entries_link_to_their_predecessor(self, api, make, session):
        user = make.user("dealer")
        first = register(api, user)
        second = register(api, user, purchase(items=[phone(IMEI_2)]))
        assert second["prev_hash"] == first["entry_hash"]
        assert session.get(Purchase, first["id"]).prev_hash is None
