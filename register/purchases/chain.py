"""The per-dealer hash chain over the register: purchases, corrections and sales.

Each entry's hash is HMAC-SHA256, keyed with ``CHAIN_SECRET``, over the previous entry's hash
and a canonical JSON of the entry's content. Personal data enters the hash only as its own
digest (``data_hash``), so the retention purge can blank it while the chain still verifies.
An item's status is its lifecycle, not register content: the ledger (``register.integrity``)
records it.

Appending an entry first locks the dealer row with one ``UPDATE ... RETURNING``, which also
allocates the entry's chain position and (for a purchase) its gapless sequence number from
counters on the dealer row, so concurrent writers for one dealer, in any number of
processes, take turns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from ..clock import aware
from ..dealers.models import Dealer
from ..integrity.keyed import keyed_hash
from .models import Correction, Purchase, Sale, Seller


def canonical(value) -> str:
    return _CANONICAL.encode(value)


def _plain(value):
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


# One encoder for every entry (``json.dumps`` with options builds a new one each call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
)


def timestamp(value: datetime | None) -> str | None:
    """One text form of a moment, whatever the database hands back (UTC, microseconds)."""
    if value is None:
        return None
    return aware(value).astimezone(UTC).isoformat(timespec="microseconds")


def digest(value) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def chain_hash(prev_hash: str | None, content: dict) -> str:
    return keyed_hash((prev_hash or "") + "\n" + canonical(content))  # HMAC: CHAIN_SECRET


SELLER_FIELDS = (
    "name", "birth_date", "street", "house_number", "postcode", "city", "country",
    "id_document_type", "id_document_number", "id_document_country",
)  # fmt: skip


def seller_data(seller: Seller) -> dict:
    return {name: getattr(seller, name) for name in SELLER_FIELDS}


def seller_digest(seller: Seller | None) -> str | None:
    """The digest of the seller's data, recomputed while the data is there."""
    if seller is None:
        return None
    if seller.purged_at is not None:
        return seller.data_hash
    return digest(seller_data(seller))


ITEM_FIELDS = (
    "id", "position", "category", "brand", "model", "description", "price_cents", "imei",
    "serial_number", "frame_number", "hold_until",
)  # fmt: skip


def purchase_content(purchase: Purchase, *, seller_hash: str | None = None) -> dict:
    """What a purchase's chain hash covers. ``seller_hash``: the digest of its seller's data
    when the caller has just computed it (a new entry's ``data_hash``)."""
    return {
        "kind": "purchase",
        "id": purchase.id,
        "dealer_id": purchase.dealer_id,
        "sequence_number": purchase.sequence_number,
        "acquired_at": timestamp(purchase.acquired_at),
        "acquisition_date": purchase.acquisition_date,
        "acquisition_type": purchase.acquisition_type,
        "seller": seller_hash or seller_digest(purchase.seller),
        "recorded_at": timestamp(purchase.recorded_at),
        "recorded_by_id": purchase.recorded_by_id,
        "late": bool(purchase.late),
        "registration_deadline": purchase.registration_deadline,
        "items": [_item_content(item) for item in sorted(purchase.items, key=lambda i: i.position)],
    }


def _item_content(item) -> dict:
    """An item as its entry was hashed: with the hold it was registered with, where a later
    rule extended it (``hold_until_registered``; a new entry's plain item has none)."""
    content = {name: getattr(item, name) for name in ITEM_FIELDS}
    registered = getattr(item, "hold_until_registered", None)
    if registered is not None:
        content["hold_until"] = registered
    return content


def correction_seller_digest(correction: Correction) -> str | None:
    if correction.purged_at is not None:
        return correction.seller_data_hash
    if correction.seller_changes is None and correction.seller_previous is None:
        return None
    return digest({"changes": correction.seller_changes, "previous": correction.seller_previous})


def correction_content(correction: Correction) -> dict:
    return {
        "kind": "correction",
        "id": correction.id,
        "dealer_id": correction.dealer_id,
        "purchase_id": correction.purchase_id,
        "reason": correction.reason,
        "changes": correction.changes,
        "previous": correction.previous,
        "seller": correction_seller_digest(correction),
        "recorded_at": timestamp(correction.recorded_at),
        "recorded_by_id": correction.recorded_by_id,
    }


def buyer_digest(sale: Sale) -> str | None:
    if sale.purged_at is not None:
        return sale.buyer_data_hash
    return None if sale.buyer is None else digest(sale.buyer)


def sale_content(sale: Sale) -> dict:
    return {
        "kind": "sale",
        "id": sale.id,
        "dealer_id": sale.dealer_id,
        "item_id": sale.item_id,
        "sold_at": timestamp(sale.sold_at),
        "price_cents": sale.price_cents,
        "buyer": buyer_digest(sale),
        "recorded_at": timestamp(sale.recorded_at),
        "recorded_by_id": sale.recorded_by_id,
    }


def content_of(entry) -> dict:
    if isinstance(entry, Purchase):
        return purchase_content(entry)
    if isinstance(entry, Correction):
        return correction_content(entry)
    return sale_content(entry)


# -- appending --------------------------------------------------------------------------------


class NotActive(Exception):
    """The dealer is not (or no longer) connected to the DOR: nothing may be appended."""


@dataclass(frozen=True)
class ChainHead:
    """The locked head of a dealer's chain: where the next entry goes."""

    dealer_id: int
    # The dealer's last purchase sequence number; if new ones were taken, the first of them.
    sequence_number: int
    prev_hash: str | None
    position: int  # the chain position for the (first) new entry


def take_head(
    session: Session, dealer_id: int, *, new_sequence_number: bool, count: int = 1
) -> ChainHead:
    """Lock the dealer's chain head and take the next ``count`` chain positions (with
    ``new_sequence_number`` also the next ``count`` purchase sequence numbers); the head
    names the first of them. NotActive if the dealer, as its row is under the lock, is not
    active.

    The UPDATE holds the dealer row's write lock until the transaction ends, so numbers and
    positions are gapless (a rolled-back entry gives them back) and unique across
    processes: a writer that waited for the lock increments the row as the other one
    committed it."""
    dealers = Dealer.__table__
    values = {"last_chain_position": dealers.c.last_chain_position + count}
    if new_sequence_number:
        values["last_sequence_number"] = dealers.c.last_sequence_number + count
    row = session.execute(
        update(dealers)
        .where(dealers.c.id == dealer_id, dealers.c.status == "active")
        .values(values)
        .returning(
            dealers.c.last_sequence_number,
            dealers.c.last_chain_position,
            dealers.c.last_entry_hash,
        )
    ).one_or_none()
    if row is None:
        raise NotActive(dealer_id)
    last_sequence_number, last_chain_position, last_entry_hash = row
    taken = count - 1 if new_sequence_number else 0
    return ChainHead(
        dealer_id,
        last_sequence_number - taken,
        last_entry_hash,
        last_chain_position - count + 1,
    )


def place(head: ChainHead) -> dict:
    """The chain columns of a new entry, before it is flushed and sealed."""
    return {"chain_position": head.position, "prev_hash": head.prev_hash, "entry_hash": ""}


def seal(session: Session, head: ChainHead, entry) -> None:
    """Hash a new entry onto the chain (flushing it first: the hash covers its ids); move the
    dealer's head to it. The entry's hash is written with the session's next flush."""
    session.flush()
    entry.chain_position = head.position
    entry.prev_hash = head.prev_hash
    entry.entry_hash = chain_hash(head.prev_hash, content_of(entry))
    move_head(session, head.dealer_id, entry.entry_hash)


def move_head(session: Session, dealer_id: int, entry_hash: str) -> None:
    """Make ``entry_hash`` the hash of the dealer's last entry."""
    dealers = Dealer.__table__
    session.execute(
        update(dealers).where(dealers.c.id == dealer_id).values(last_entry_hash=entry_hash)
    )


# -- verifying --------------------------------------------------------------------------------


def describe(entry) -> str:
    if isinstance(entry, Purchase):
        return f"purchase {entry.id} (sequence number {entry.sequence_number})"
    if isinstance(entry, Correction):
        return f"correction {entry.id} of purchase {entry.purchase_id}"
    return f"sale {entry.id} of item {entry.item_id}"


@dataclass
class Verification:
    dealer_id: int
    entries: int
    problem: str | None = None
    entry: object | None = None  # the first entry found altered, if any

    @property
    def ok(self) -> bool:
        return self.problem is None


def dealer_entries(session: Session, dealer_id: int) -> list:
    purchases = session.scalars(
        select(Purchase)
        .where(Purchase.dealer_id == dealer_id)
        .options(selectinload(Purchase.items))
        .execution_options(populate_existing=True)
    ).all()
    corrections = session.scalars(
        select(Correction)
        .where(Correction.dealer_id == dealer_id)
        .execution_options(populate_existing=True)
    ).all()
    sales = session.scalars(
        select(Sale).where(Sale.dealer_id == dealer_id).execution_options(populate_existing=True)
    ).all()
    return sorted([*purchases, *corrections, *sales], key=lambda e: e.chain_position)


def verify_dealer(session: Session, dealer: Dealer) -> Verification:
    """Recompute the dealer's chain; name the first entry that was altered or removed."""
    entries = dealer_entries(session, dealer.id)
    result = Verification(dealer.id, len(entries))
    prev_hash = None
    expected_sequence = 1
    for position, entry in enumerate(entries, start=1):
        name = describe(entry)
        if entry.chain_position != position:
            result.problem = f"the entry at chain position {position} is missing (before {name})"
            result.entry = entry
            return result
        if isinstance(entry, Purchase):
            if entry.sequence_number != expected_sequence:
                result.problem = (
                    f"{name} breaks the sequence: expected sequence number {expected_sequence}"
                )
                result.entry = entry
                return result
            expected_sequence += 1
        if entry.prev_hash != prev_hash:
            result.problem = f"{name} does not follow the entry before it (prev_hash differs)"
            result.entry = entry
            return result
        if chain_hash(prev_hash, content_of(entry)) != entry.entry_hash:
            result.problem = f"{name} was altered: its content no longer matches its hash"
            result.entry = entry
            return result
        prev_hash = entry.entry_hash
    if dealer.last_entry_hash != prev_hash or dealer.last_chain_position != len(entries):
        result.problem = "the last entry of the register is missing (the chain head differs)"
    elif dealer.last_sequence_number != expected_sequence - 1:
        result.problem = (
            f"the register ends at sequence number {expected_sequence - 1}, "
            f"but {dealer.last_sequence_number} were issued"
        )
    return result
