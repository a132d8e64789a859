"""verify-register names every tampering with what the register keeps in place: item
statuses, normalised identifiers and keys, hits, the audit log, and a deleted tail."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from register.extensions import db
from tests.stolen_db.helpers import add_report

from ..purchases.helpers import IMEI_1, IMEI_2, phone, purchase, register, stolen_report


def run(app, *args):
    return CliRunner().invoke(args=list(args), cli=app.cli, catch_exceptions=False)


def execute(sql: str, **params) -> None:
    """Change the database behind the register's back, as someone with SQL access would."""
    db.session.rollback()  # the test's reads end: verify-register sees the change
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def verify(app, *args):
    result = run(app, "verify-register", *args)
    return result.exit_code, result.output


@pytest.fixture
def dealer_user(make):
    return make.user("dealer")


@pytest.fixture
def held(api, session, dealer_user):
    """A registered phone that matched a stolen report: on police hold, with its hit."""
    stolen_report(session, imei=IMEI_1)
    body = register(api, dealer_user)
    item = body["items"][0]
    assert item["status"] == "police_hold"
    return item


def test_a_register_used_in_every_way_verifies(app, api, session, dealer_user, held):
    other = register(api, dealer_user, purchase(items=[phone(IMEI_2)]))
    response = api.post(
        f"/api/v1/items/{held['id']}/police-decision", {"decision": "released"}, as_="police"
    )
    assert response.status_code == 200
    sale = api.post(
        f"/api/v1/items/{held['id']}/sale",
        {"sold_at": "2026-11-27T09:30:00+01:00", "price_cents": 100},
        as_=dealer_user,
    )
    assert sale.status_code == 200, sale.json
    correction = api.post(
        f"/api/v1/purchases/{other['id']}/corrections",
        {"reason": "typo", "changes": {"items": [{"id": other["items"][0]["id"],
                                                  "imei": "352099001761481"}]}},
        as_=dealer_user,
    )  # fmt: skip
    assert correction.status_code == 201, correction.json
    police = api.get(f"/api/v1/purchases/{other['id']}?purpose=PL-1", as_="police")
    assert police.status_code == 200
    code, output = verify(app)
    assert code == 0, output
    assert f"dealer {dealer_user.dealer_id}: 4 entries, chain intact" in output
    assert "audit log: 2 ledger entries, chain intact" in output


def test_a_police_hold_changed_to_available_is_named(app, dealer_user, held):
    execute("UPDATE items SET status = 'available' WHERE id = :id", id=held["id"])
    code, output = verify(app)
    assert code == 1
    assert re.search(
        rf"dealer {dealer_user.dealer_id}: ALTERED: item {held['id']}: its status is available, "
        r"but the ledger \(entry \d+\) last recorded police_hold",
        output,
    ), output


def test_an_edited_imei_norm_is_named(app, api, dealer_user):
    item = register(api, dealer_user)["items"][0]
    execute("UPDATE items SET imei_norm = '000000000000000' WHERE id = :id", id=item["id"])
    code, output = verify(app)
    assert code == 1
    assert (
        f"item {item['id']}: its imei_norm is '000000000000000', but the ledger (entry 1) "
        f"recorded '{IMEI_1}'"
    ) in output


def test_edited_identifier_keys_are_named(app, api, dealer_user):
    item = register(api, dealer_user)["items"][0]
    execute("UPDATE item_identifier_keys SET key = key + 1 WHERE item_id = :id", id=item["id"])
    code, output = verify(app)
    assert code == 1
    assert f"item {item['id']}: its identifier keys were edited or deleted" in output


def test_deleted_identifier_keys_are_named(app, api, dealer_user):
    item = register(api, dealer_user)["items"][0]
    execute("DELETE FROM item_identifier_keys WHERE item_id = :id", id=item["id"])
    code, output = verify(app)
    assert code == 1
    assert re.search(
        rf"item {item['id']}: its identifier keys were edited or deleted \(0 rows in "
        r"item_identifier_keys, the ledger \(entry 1\) recorded [1-9]\d*\)",
        output,
    ), output


def test_a_deleted_hit_is_named(app, session, held):
    hit_id = session.execute(text("SELECT id FROM hits")).scalar_one()
    execute("DELETE FROM hits WHERE id = :id", id=hit_id)
    code, output = verify(app)
    assert code == 1
    assert re.search(rf"hit {hit_id}, recorded in ledger entry \d+, was deleted", output), output


def test_an_edited_hit_is_named(app, session, held):
    hit_id = session.execute(text("SELECT id FROM hits")).scalar_one()
    execute("UPDATE hits SET match_kind = 'near', confidence = 0.5 WHERE id = :id", id=hit_id)
    code, output = verify(app)
    assert code == 1
    assert re.search(
        rf"hit {hit_id} was edited \(match_kind, confidence differ from ledger entry \d+\)",
        output,
    ), output


def test_a_deleted_or_edited_audit_log_entry_is_named(app, api, session, dealer_user):
    register(api, dealer_user)
    register(api, dealer_user, purchase(items=[phone(IMEI_2)]))
    assert api.get("/api/v1/purchases?purpose=PL-9", as_="police").status_code == 200
    first, second = session.execute(text("SELECT id FROM audit_log ORDER BY id")).scalars()
    execute("DELETE FROM audit_log WHERE id = :id", id=first)
    execute("UPDATE audit_log SET purpose = 'nothing to see' WHERE id = :id", id=second)
    code, output = verify(app)
    assert code == 1
    assert f"audit log: ALTERED: audit log entry {first}, recorded in ledger entry 1, was " \
        "deleted" in output  # fmt: skip
    assert f"audit log: ALTERED: audit log entry {second} was edited (purpose differ" in output


def test_a_ledger_entry_rewritten_to_match_is_named(app, dealer_user, held):
    """Editing the ledger too does not help without the chain secret."""
    execute("UPDATE items SET status = 'available' WHERE id = :id", id=held["id"])
    chain = f"items:{dealer_user.dealer_id}"
    db.session.rollback()
    with db.engine.begin() as conn:
        position, content = conn.execute(
            text("SELECT position, content FROM ledger_entries WHERE chain = :c AND kind = "
                 "'status'"), {"c": chain},
        ).one()  # fmt: skip
        content = json.loads(content) if isinstance(content, str) else content
        content["records"][0]["to"] = "available"
        conn.execute(
            text("UPDATE ledger_entries SET content = :content WHERE chain = :c AND "
                 "position = :p"), {"content": json.dumps(content), "c": chain, "p": position},
        )  # fmt: skip
    code, output = verify(app)
    assert code == 1
    assert f"ledger entry {position} (status) was altered" in output


def test_a_chain_rehashed_without_the_secret_is_found(app, api, dealer_user, make):
    register(api, dealer_user)
    assert verify(app)[0] == 0
    app.config["CHAIN_SECRET"] = "someone-elses-secret"
    code, output = verify(app)
    assert code == 1
    assert "purchase 1 (sequence number 1) was altered" in output


def _delete_last_purchase_and_fix_the_heads(session, dealer_id: int, purchase_id: int) -> None:
    """The thorough attacker: the last entry, its items, keys and ledger entries go, and both
    heads are set back to what the entries before them say."""
    chain = f"items:{dealer_id}"
    session.rollback()
    with db.engine.begin() as conn:
        items = "(SELECT id FROM items WHERE purchase_id = :p)"
        for table in ("item_identifier_keys", "item_identifier_grams", "item_words"):
            conn.execute(text(f"DELETE FROM {table} WHERE item_id IN {items}"),
                         {"p": purchase_id})  # fmt: skip
        conn.execute(text("DELETE FROM items WHERE purchase_id = :p"), {"p": purchase_id})
        conn.execute(text("DELETE FROM purchases WHERE id = :p"), {"p": purchase_id})
        last = conn.execute(
            text("SELECT chain_position, entry_hash, sequence_number FROM purchases "
                 "WHERE dealer_id = :d ORDER BY chain_position DESC"), {"d": dealer_id},
        ).first()  # fmt: skip
        conn.execute(
            text("UPDATE dealers SET last_chain_position = :pos, last_entry_hash = :h, "
                 "last_sequence_number = :seq WHERE id = :d"),
            {"pos": last[0], "h": last[1], "seq": last[2], "d": dealer_id},
        )  # fmt: skip
        top = conn.execute(
            text("SELECT max(position) FROM ledger_entries WHERE chain = :c"), {"c": chain}
        ).scalar_one()
        conn.execute(text("DELETE FROM ledger_entries WHERE chain = :c AND position = :p"),
                     {"c": chain, "p": top})  # fmt: skip
        head = conn.execute(
            text("SELECT entry_hash FROM ledger_entries WHERE chain = :c AND position = :p"),
            {"c": chain, "p": top - 1},
        ).scalar_one()
        conn.execute(
            text("UPDATE ledger_heads SET position = :p, head_hash = :h WHERE chain = :c"),
            {"p": top - 1, "h": head, "c": chain},
        )


def test_the_last_entry_deleted_with_the_heads_fixed_is_found_by_the_anchors(
    app, api, session, dealer_user, tmp_path
):
    register(api, dealer_user)
    last = register(api, dealer_user, purchase(items=[phone(IMEI_2)]))
    anchored = run(app, "anchor-heads", "--out", str(tmp_path))
    assert anchored.exit_code == 0, anchored.output
    _delete_last_purchase_and_fix_the_heads(session, dealer_user.dealer_id, last["id"])
    # Without the anchors the chains cannot show it: every chain is consistent in itself.
    assert verify(app)[0] == 0
    code, output = verify(app, "--anchors", str(tmp_path))
    assert code == 1
    dealer = dealer_user.dealer_id
    assert re.search(
        rf"dealer {dealer}: ALTERED: register:{dealer}: the chain ends at entry 1, but "
        r"heads-\S+\.json anchored entry 2: the last 1 entries were deleted",
        output,
    ), output
    assert f"items:{dealer}: the chain ends at entry 1" in output


def test_anchors_of_a_register_that_only_grew_verify(app, api, dealer_user, tmp_path):
    register(api, dealer_user)
    assert run(app, "anchor-heads", "--out", str(tmp_path)).exit_code == 0
    register(api, dealer_user, purchase(items=[phone(IMEI_2)]))
    code, output = verify(app, "--anchors", str(tmp_path))
    assert code == 0, output
    assert "anchors: 1 file(s), 2 chain(s) anchored" in output


def test_an_altered_anchor_file_is_named(app, api, dealer_user, tmp_path):
    register(api, dealer_user)
    assert run(app, "anchor-heads", "--out", str(tmp_path)).exit_code == 0
    (path,) = tmp_path.glob("heads-*.json")
    document = json.loads(path.read_text())
    document["heads"][f"register:{dealer_user.dealer_id}"][0] = 7
    path.write_text(json.dumps(document))
    code, output = verify(app, "--anchors", str(tmp_path))
    assert code == 1
    assert f"anchor file {path.name} is not signed with this register's anchor key" in output


def test_the_worker_anchors_the_heads_daily(app, api, dealer_user, tmp_path):
    app.config["ANCHOR_DIR"] = str(tmp_path)
    register(api, dealer_user)
    (job,) = [j for j in app.extensions["notifications"]["periodic_jobs"]
              if j.name == "anchor-heads"]  # fmt: skip
    assert job.cron == "15 0 * * *"
    job.func(app)
    (path,) = tmp_path.glob("heads-*.json")
    heads = json.loads(path.read_text())["heads"]
    assert heads[f"register:{dealer_user.dealer_id}"][0] == 1


def test_a_retroactive_hold_is_on_the_ledger(app, api, session, clock, dealer_user):
    item = register(api, dealer_user)["items"][0]
    add_report(session, clock, imei=IMEI_1, brand="Apple")
    assert verify(app)[0] == 0
    execute("UPDATE items SET status = 'holding' WHERE id = :id", id=item["id"])
    code, output = verify(app)
    assert code == 1
    assert f"item {item['id']}: its status is holding, but the ledger (entry 2) last " \
        "recorded police_hold" in output  # fmt: skip
