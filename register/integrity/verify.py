"""Verifying the ledger: each chain recomputed, then replayed against what the tables hold.

Every finding is a sentence naming what changed: the entry altered or missing, or the item,
hit or audit entry whose stored state differs from what the ledger recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import AuditEntry
from ..hits.models import Hit, ItemIdentifierKey
from ..purchases.models import Item
from .ledger import (
    AUDIT_CHAIN,
    AUDIT_FIELDS,
    HIT_FIELDS,
    entry_hash,
    item_chain,
    keys_digest,
    row_record,
)
from .models import LedgerEntry, LedgerHead


@dataclass
class ChainCheck:
    """A ledger chain as found: its entries in order, their hashes by position, problems."""

    chain: str
    entries: list = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_chain(session: Session, chain: str) -> ChainCheck:
    """Recompute a ledger chain: every entry altered, missing or out of line, and its head."""
    table = LedgerEntry.__table__
    rows = session.execute(
        select(table).where(table.c.chain == chain).order_by(table.c.position)
    ).all()
    head = session.execute(
        select(LedgerHead.__table__).where(LedgerHead.__table__.c.chain == chain)
    ).first()
    check = ChainCheck(chain, rows)
    expected, prev_hash = 1, None
    for row in rows:
        if row.position != expected:
            gap = _missing(expected, row.position - 1)
            check.problems.append(f"{gap} (before entry {row.position})")
        elif row.prev_hash != prev_hash:
            check.problems.append(
                f"ledger entry {row.position} does not follow the entry before it"
            )
        recomputed = entry_hash(
            row.prev_hash, chain, row.position, row.kind, row.recorded_at, row.content
        )
        if recomputed != row.entry_hash:
            check.problems.append(
                f"ledger entry {row.position} ({row.kind}) was altered: its content no longer "
                "matches its hash"
            )
        check.hashes[row.position] = row.entry_hash
        expected, prev_hash = row.position + 1, row.entry_hash
    last = expected - 1
    if head is None:
        if rows:
            check.problems.append("the ledger's head row is missing")
    elif head.position > last:
        check.problems.append(
            _missing(last + 1, head.position) + f" (the ledger ends at entry {last}, its head "
            f"says {head.position})"
        )
    elif head.position < last or head.head_hash != prev_hash:
        check.problems.append(f"the ledger's head does not name its last entry ({last})")
    return check


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"ledger entry {first} is missing"
    return f"ledger entries {first} to {last} are missing"


def _records(check: ChainCheck, kind: str):
    """(entry position, record) of every record of ``kind`` on the chain, in order."""
    for row in check.entries:
        if row.kind == kind or (kind == "indexed" and row.kind == "baseline"):
            for record in (row.content or {}).get("records", []):
                yield row.position, record


_NORMS = ("imei_norm", "serial_norm", "frame_norm")


def verify_items(session: Session, dealer_id: int) -> tuple[ChainCheck, list[str]]:
    """The dealer's ledger chain, and every item, identifier key and hit of the dealer whose
    stored state differs from what that chain last recorded for it."""
    check = check_chain(session, item_chain(dealer_id))
    problems = list(check.problems)
    recorded: dict[int, dict] = {}  # item id -> its state as the ledger last recorded it
    for row in check.entries:
        for record in (row.content or {}).get("records", []):
            if row.kind in ("indexed", "baseline"):
                recorded[record["item"]] = {**record, "at": row.position, "status_at": row.position}
            elif row.kind == "status":
                state = recorded.setdefault(record["item"], {"at": row.position})
                state["status"], state["status_at"] = record["to"], row.position
    items = session.execute(
        select(Item.id, Item.status, Item.imei_norm, Item.serial_norm, Item.frame_norm)
        .where(Item.dealer_id == dealer_id)
        .order_by(Item.id)
    ).all()
    keys: dict[int, list[int]] = {}
    for item_id, key in session.execute(
        select(ItemIdentifierKey.item_id, ItemIdentifierKey.key)
        .join(Item, Item.id == ItemIdentifierKey.item_id)
        .where(Item.dealer_id == dealer_id)
    ):
        keys.setdefault(item_id, []).append(key)
    for item in items:
        state = recorded.pop(item.id, None)
        if state is None or "keys" not in state:
            problems.append(f"item {item.id} is not on the ledger (stored outside the register)")
            continue
        if item.status != state.get("status"):
            problems.append(
                f"item {item.id}: its status is {item.status}, but the ledger (entry "
                f"{state['status_at']}) last recorded {state.get('status')}"
            )
        for name in _NORMS:
            if getattr(item, name) != state[name]:
                problems.append(
                    f"item {item.id}: its {name} is {getattr(item, name)!r}, but the ledger "
                    f"(entry {state['at']}) recorded {state[name]!r}"
                )
        stored = keys.get(item.id, [])
        if keys_digest(stored) != state["keys"]:
            problems.append(
                f"item {item.id}: its identifier keys were edited or deleted ({len(stored)} "
                f"rows in item_identifier_keys, the ledger (entry {state['at']}) recorded "
                f"{state['key_count']})"
            )
    for item_id, state in sorted(recorded.items()):
        problems.append(
            f"item {item_id}, recorded in ledger entry {state['at']}, was deleted from items"
        )
    hits = session.execute(select(Hit.__table__).where(Hit.__table__.c.dealer_id == dealer_id))
    problems += _compare_rows("hit", _records(check, "hits"), hits, HIT_FIELDS)
    return check, problems


def verify_audit(session: Session) -> tuple[ChainCheck, list[str]]:
    """The audit chain, and every audit log entry deleted, edited or added outside it."""
    check = check_chain(session, AUDIT_CHAIN)
    rows = session.execute(select(AuditEntry.__table__))
    problems = list(check.problems)
    problems += _compare_rows("audit log entry", _records(check, "audit"), rows,
                              AUDIT_FIELDS)  # fmt: skip
    return check, problems


def _compare_rows(name: str, records, rows, fields) -> list[str]:
    """Rows of an append-only table against their ledger records ((position, record)s)."""
    recorded = {record["id"]: (position, record) for position, record in records}
    problems = []
    for row in rows.mappings():
        found = recorded.pop(row["id"], None)
        if found is None:
            problems.append(f"{name} {row['id']} is not on the ledger (added outside it)")
            continue
        position, record = found
        stored = row_record(row, fields)
        changed = [f for f in fields if stored[f] != record.get(f)]
        if changed:
            problems.append(
                f"{name} {row['id']} was edited ({', '.join(changed)} differ from ledger entry "
                f"{position})"
            )
    for row_id, (position, _) in sorted(recorded.items()):
        problems.append(f"{name} {row_id}, recorded in ledger entry {position}, was deleted")
    return problems
