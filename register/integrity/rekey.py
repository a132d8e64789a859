"""The one-time move of an existing database to keyed chains and the ledger (run by the
migration that creates the ledger, inside ``flask db upgrade``).

Each dealer's register chain is first verified as it was hashed before (plain SHA-256);
only a chain that verifies is re-hashed with ``CHAIN_SECRET``, so a register altered before
the upgrade stays visibly broken instead of being sealed. Then the ledger starts from what
the database holds: a ``baseline`` entry per dealer with its items' statuses, normalised
identifiers and keys, its hits, and the audit log so far.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..accounts.models import AuditEntry
from ..dealers.models import Dealer
from ..hits.models import Hit, ItemIdentifierKey
from ..purchases.chain import canonical, chain_hash, content_of, dealer_entries
from ..purchases.models import Item
from . import ledger

log = logging.getLogger(__name__)


def legacy_hash(prev_hash: str | None, content: dict) -> str:
    """An entry's hash as it was computed before chains were keyed."""
    return hashlib.sha256(((prev_hash or "") + "\n" + canonical(content)).encode()).hexdigest()


@dataclass
class Rekeyed:
    registers: int = 0
    entries: int = 0
    left_broken: list[int] = field(default_factory=list)  # dealers whose chain did not verify


def _verifies(dealer: Dealer, entries: list) -> bool:
    prev_hash = None
    for position, entry in enumerate(entries, start=1):
        if entry.chain_position != position or entry.prev_hash != prev_hash:
            return False
        if legacy_hash(prev_hash, content_of(entry)) != entry.entry_hash:
            return False
        prev_hash = entry.entry_hash
    return dealer.last_entry_hash == prev_hash


def rekey_registers(session: Session) -> Rekeyed:
    """Re-hash every dealer's register chain with the key, after verifying it unkeyed."""
    result = Rekeyed()
    for dealer in session.scalars(select(Dealer).order_by(Dealer.id)).all():
        entries = dealer_entries(session, dealer.id)
        if not entries:
            continue
        if not _verifies(dealer, entries):
            log.warning("dealer %s: register chain does not verify; left as it is", dealer.id)
            result.left_broken.append(dealer.id)
            continue
        prev_hash = None
        for entry in entries:
            entry.prev_hash, entry.entry_hash = prev_hash, chain_hash(prev_hash, content_of(entry))
            prev_hash = entry.entry_hash
        dealer.last_entry_hash = prev_hash
        result.registers += 1
        result.entries += len(entries)
    session.flush()
    return result


def start_ledger(session: Session) -> None:
    """The ledger's baseline: what the database holds now, per dealer and for the audit log."""
    keys: dict[int, list[int]] = {}
    for item_id, key in session.execute(select(ItemIdentifierKey.item_id, ItemIdentifierKey.key)):
        keys.setdefault(item_id, []).append(key)
    by_dealer: dict[int, list[dict]] = {}
    columns = (Item.id, Item.dealer_id, Item.status, Item.imei_norm, Item.serial_norm,
               Item.frame_norm)  # fmt: skip
    for item in session.execute(select(*columns).order_by(Item.id)):
        record = ledger.indexed_record(item, keys.get(item.id, []))
        by_dealer.setdefault(item.dealer_id, []).append(record)
    for dealer_id in sorted(by_dealer):
        ledger.append(session, ledger.item_chain(dealer_id), "baseline", by_dealer[dealer_id])
    hits = session.execute(select(Hit.__table__).order_by(Hit.__table__.c.id)).mappings().all()
    ledger.record_new_hits(session, hits)
    audit = session.execute(select(AuditEntry.__table__).order_by(AuditEntry.__table__.c.id))
    records = [ledger.row_record(row, ledger.AUDIT_FIELDS) for row in audit.mappings()]
    ledger.append(session, ledger.AUDIT_CHAIN, "audit", records)


def rekey_and_start_ledger(connection: Connection) -> Rekeyed:
    """Both steps in the migration's transaction (``connection``)."""
    session = Session(bind=connection)
    try:
        result = rekey_registers(session)
        start_ledger(session)
        session.flush()
    finally:
        session.close()
    log.info(
        "keyed %s register chains (%s entries); left %s that did not verify: %s",
        result.registers,
        result.entries,
        len(result.left_broken),
        result.left_broken,
        extra={"dealer_ids": result.left_broken},
    )
    return result
