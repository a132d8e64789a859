"""Appending to the ledger, and the records each change in place writes.

Chains, each with its own head row (``LedgerHead``):

- ``items:<dealer id>``, one per dealer: its items' status, normalised identifiers and
  identifier keys as stored (``indexed``), every status change (``status``) and every hit
  (``hits``);
- ``audit``: every audit log entry (``audit``).

The dealer's register chain (``purchases.chain``) is kept for the register's entries: it is
locked by the dealer row with the purchase sequence number, and hits and police decisions
change items without taking that lock (a theft report puts the items of many dealers on
hold). A chain of their own lets them append without it, and without lock-order deadlocks:
the ledger head is always the last lock a transaction takes. ``baseline`` entries record
what a database held when its ledger began (``rekey``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session, object_session

from ..clock import utcnow
from ..hits.models import ItemIdentifierKey
from ..purchases.chain import canonical, timestamp
from .keyed import keyed_hash
from .models import LedgerEntry, LedgerHead

AUDIT_CHAIN = "audit"
BATCH = 500  # records per entry: an import of thousands of items makes a few entries

# Takes the chain's next positions under its head row's write lock (creating the row for a
# new chain), answering the last position taken and the hash of the entry before the first.
_LOCK_SQL = text(
    "INSERT INTO ledger_heads (chain, position) VALUES (:chain, :count) "
    "ON CONFLICT (chain) DO UPDATE SET position = ledger_heads.position + excluded.position "
    "RETURNING position, head_hash"
)
_MOVE_HEAD = (
    update(LedgerHead.__table__)
    .where(LedgerHead.__table__.c.chain == bindparam("chain_name"))
    .values(head_hash=bindparam("new_hash"))
)


def item_chain(dealer_id: int) -> str:
    return f"items:{dealer_id}"


def entry_hash(prev_hash: str | None, chain: str, position: int, kind: str, recorded_at,
               content: dict) -> str:  # fmt: skip
    """The keyed hash of a ledger entry: covers everything in its row and the hash before."""
    body = canonical([chain, position, kind, timestamp(recorded_at), content])
    return keyed_hash((prev_hash or "") + "\n" + body)


def append(session: Session, chain: str, kind: str, records: list[dict]) -> None:
    """Append ``records`` to ``chain`` as entries of ``kind`` (``BATCH`` records each) in
    three statements whatever their number; flushes nothing. The chain's head row stays
    locked until the transaction ends, so appends to one chain take turns."""
    if not records:
        return
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    last, prev_hash = session.execute(_LOCK_SQL, {"chain": chain, "count": len(batches)}).one()
    now = utcnow()
    position = last - len(batches) + 1
    rows = []
    for batch in batches:
        content = {"records": batch}
        new_hash = entry_hash(prev_hash, chain, position, kind, now, content)
        rows.append(
            {"chain": chain, "position": position, "kind": kind, "content": content,
             "recorded_at": now, "prev_hash": prev_hash, "entry_hash": new_hash}
        )  # fmt: skip
        prev_hash, position = new_hash, position + 1
    connection = session.connection()
    connection.execute(insert(LedgerEntry.__table__), rows)
    connection.execute(_MOVE_HEAD, {"chain_name": chain, "new_hash": prev_hash})


def _per_dealer(session: Session, kind: str, records: Iterable[tuple[int, dict]]) -> None:
    by_dealer: dict[int, list[dict]] = {}
    for dealer_id, record in records:
        by_dealer.setdefault(dealer_id, []).append(record)
    for dealer_id in sorted(by_dealer):  # one lock order for every transaction
        append(session, item_chain(dealer_id), kind, by_dealer[dealer_id])


# -- items ------------------------------------------------------------------------------------


def keys_digest(keys: Iterable[int]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(keys))).encode()).hexdigest()


def indexed_record(item, keys: Iterable[int]) -> dict:
    """An item as matching finds it: its status, normalised identifiers and keys."""
    keys = list(keys)
    return {
        "item": item.id,
        "status": item.status,
        "imei_norm": item.imei_norm,
        "serial_norm": item.serial_norm,
        "frame_norm": item.frame_norm,
        "keys": keys_digest(keys),
        "key_count": len(keys),
    }


def record_indexed(session: Session, items, keys: list[set[int]]) -> None:
    """New items as stored, ``keys`` being each one's identifier keys (in order)."""
    records = zip(items, keys, strict=True)
    _per_dealer(session, "indexed", ((i.dealer_id, indexed_record(i, k)) for i, k in records))


def record_reindexed(session: Session, item) -> None:
    """An item whose identifiers were corrected: as stored now, with all its keys."""
    session.flush()
    where = ItemIdentifierKey.item_id == item.id
    keys = session.scalars(select(ItemIdentifierKey.key).where(where))
    append(session, item_chain(item.dealer_id), "indexed", [indexed_record(item, keys)])


def record_transition(item, old: str, new: str) -> None:
    """One item's status change (``transition_item``), in the item's session."""
    session = object_session(item)
    if session is None:  # an item never stored has nothing to evidence
        return
    record = {"item": item.id, "from": str(old), "to": str(new)}
    append(session, item_chain(item.dealer_id), "status", [record])


def record_holds(session: Session, items) -> None:
    """Items about to go on police hold by one statement: call before their status changes."""
    _per_dealer(
        session,
        "status",
        ((i.dealer_id, {"item": i.id, "from": i.status, "to": "police_hold"}) for i in items),
    )


# -- hits and the audit log -------------------------------------------------------------------

HIT_FIELDS = (
    "id", "item_id", "dealer_id", "stolen_report_id", "trigger", "match_kind",
    "identifier_type", "confidence", "created_at", "outbox_event_id",
)  # fmt: skip
AUDIT_FIELDS = ("id", "at", "user_id", "action", "record_type", "record_id", "purpose",
                "details")  # fmt: skip
_MOMENTS = {"created_at", "at"}


def row_record(row: Mapping, fields: tuple[str, ...]) -> dict:
    """A stored row (a mapping of its columns) as its ledger record."""
    return {name: timestamp(row[name]) if name in _MOMENTS else row[name] for name in fields}


def record_new_hits(session: Session, rows: list[Mapping]) -> None:
    """New ``hits`` rows (their column values), each on its dealer's chain."""
    _per_dealer(session, "hits", ((r["dealer_id"], row_record(r, HIT_FIELDS)) for r in rows))


def record_audit(session: Session, entries) -> None:
    """New (flushed) audit log entries."""
    records = [row_record({f: getattr(e, f) for f in AUDIT_FIELDS}, AUDIT_FIELDS) for e in entries]
    append(session, AUDIT_CHAIN, "audit", records)
