"""The upgrade to keyed chains: a register that verifies unkeyed is re-hashed with the
secret and starts its ledger; one altered before the upgrade stays reported."""

from __future__ import annotations

from sqlalchemy import select, text

from register.dealers.models import Dealer
from register.extensions import db
from register.integrity.rekey import legacy_hash, rekey_and_start_ledger
from register.purchases.chain import content_of, dealer_entries

from ..purchases.helpers import IMEI_2, phone, purchase, register
from .test_verify_register import run


def _as_before_the_upgrade(session) -> None:
    """Every register hashed unkeyed, and no ledger: a database of the previous release."""
    for dealer in session.scalars(select(Dealer)).all():
        prev_hash = None
        for entry in dealer_entries(session, dealer.id):
            entry.prev_hash, entry.entry_hash = prev_hash, legacy_hash(prev_hash, content_of(entry))
            prev_hash = entry.entry_hash
        dealer.last_entry_hash = prev_hash
    session.execute(text("DELETE FROM ledger_entries"))
    session.execute(text("DELETE FROM ledger_heads"))
    session.commit()


def _upgrade() -> None:
    with db.engine.begin() as conn:
        rekey_and_start_ledger(conn)


def test_a_register_of_the_previous_release_is_keyed_and_verifies(app, api, make, session):
    user = make.user("dealer")
    register(api, user)
    register(api, user, purchase(items=[phone(IMEI_2)]))
    assert api.get("/api/v1/purchases?purpose=PL-9", as_="police").status_code == 200
    _as_before_the_upgrade(session)
    assert run(app, "verify-register").exit_code == 1  # unkeyed hashes do not verify
    _upgrade()
    result = run(app, "verify-register")
    assert result.exit_code == 0, result.output
    assert f"dealer {user.dealer_id}: 2 entries, chain intact" in result.output
    assert "audit log: 1 ledger entries, chain intact" in result.output


def test_a_register_altered_before_the_upgrade_is_not_sealed(app, api, make, session):
    user = make.user("dealer")
    first = register(api, user)
    _as_before_the_upgrade(session)
    session.execute(text("UPDATE items SET price_cents = 1 WHERE purchase_id = :p"),
                    {"p": first["id"]})  # fmt: skip
    session.commit()
    _upgrade()
    result = run(app, "verify-register")
    assert result.exit_code == 1
    assert f"purchase {first['id']} (sequence number 1) was altered" in result.output
