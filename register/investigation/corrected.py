"""What a corrected item says now and what it said before, for the search.

A correction never changes the registered row (``purchases.corrections``): an item's
description and identifiers as typed stay those of its registration, and only its
normalised identifiers follow the corrections. The search finds a corrected item by every
value it has had, since a correction may hide a stolen identifier, and shows what the item
says now.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..purchases.models import Correction, Item
from ..purchases.service import normalised_identifiers

# What a search result shows of an item and a correction can change.
ITEM_VALUES = (
    "category", "brand", "model", "description", "price_cents", "imei", "serial_number",
    "frame_number",
)  # fmt: skip


def corrections_of(session: Session, purchase_ids: Iterable[int]) -> dict[int, list[Correction]]:
    """The corrections of these purchases in the order they were made, by purchase id, in
    one indexed query (purchases without corrections are left out)."""
    found: dict[int, list[Correction]] = {}
    ids = sorted(set(purchase_ids))
    if not ids:
        return found
    for correction in session.scalars(
        select(Correction)
        .where(Correction.purchase_id.in_(ids))
        .order_by(Correction.purchase_id, Correction.chain_position)
    ):
        found.setdefault(correction.purchase_id, []).append(correction)
    return found


def versions(item: Item, corrections: Iterable[Correction]) -> list[dict]:
    """The item's values as registered and after each correction that changed them, oldest
    first (``corrections`` in the order they were made): the last one is what it says now."""
    state = {name: getattr(item, name) for name in ITEM_VALUES}
    found = [dict(state)]
    for correction in corrections:
        for change in (correction.changes or {}).get("items", []):
            if change.get("id") == item.id:
                state.update({k: v for k, v in change.items() if k in ITEM_VALUES})
                found.append(dict(state))
    return found


def index_view(item_id: int, values: dict) -> SimpleNamespace:
    """One version in the shape the search indexes read (``indexing.index_rows``)."""
    return SimpleNamespace(id=item_id, **normalised_identifiers(values), **values)


def shown(item: Item, corrections: Iterable[Correction]):
    """What a search result shows of the item: the item itself when it was never
    corrected, else its values as corrected (with its id and holding period)."""
    history = versions(item, corrections)
    if len(history) == 1:
        return item
    return SimpleNamespace(id=item.id, hold_until=item.hold_until, **history[-1])
