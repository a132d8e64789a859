"""Corrections: a dated new entry that refers to the entry it corrects, with a reason.

The original entry is never changed. What an entry says *now* is the original with every
correction applied in order (``current_shape``). A correction is validated as the whole
corrected entry would be, so it cannot make an entry that could not have been registered.
Items are named by id; a correction cannot add or remove items.
"""

from __future__ import annotations

import copy
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from stolen_db.matching import find_matches

from ..clock import AMSTERDAM, aware
from ..errors import flatten_errors
from ..hits.service import index_item, record_hits, registration_turn
from ..integrity.ledger import record_reindexed
from ..investigation import on_corrected
from . import chain
from .messages import Message
from .models import Correction, Purchase
from .schemas import CorrectionIn, PurchaseIn
from .service import (
    InvalidEntry,
    StateConflict,
    ensure_active,
    identifiers_of,
    lock_register,
    normalised_identifiers,
    rules_for,
)
from .shapes import seller_shape

CORRECTABLE = ("acquired_at", "acquisition_type", "seller", "items")
ITEM_CORRECTABLE = (
    "category", "brand", "model", "description", "price_cents", "imei", "serial_number",
    "frame_number",
)  # fmt: skip


def registered_shape(purchase: Purchase) -> dict:
    """The entry as it was registered, in the registration's shape (items with their ids)."""
    seller = purchase.seller
    return {
        "acquired_at": aware(purchase.acquired_at).astimezone(AMSTERDAM).isoformat(),
        "acquisition_type": purchase.acquisition_type,
        "seller": None if seller is None or seller.purged_at is not None else seller_shape(seller),
        "items": [
            {"id": item.id, **{name: getattr(item, name) for name in ITEM_CORRECTABLE}}
            for item in sorted(purchase.items, key=lambda i: i.position)
        ],
    }


def apply_changes(state: dict, changes: dict) -> dict:
    """``state`` with ``changes`` merged in (items matched by id); returns ``state``."""
    for key, value in changes.items():
        if key == "items":
            by_id = {item["id"]: item for item in state["items"]}
            for change in value:
                by_id[change["id"]].update({k: v for k, v in change.items() if k != "id"})
        elif isinstance(value, dict) and isinstance(state.get(key), dict):
            apply_changes(state[key], value)
        else:
            state[key] = copy.deepcopy(value)
    return state


def current_shape(purchase: Purchase) -> dict:
    """What the entry says now: the registration with every correction applied."""
    state = registered_shape(purchase)
    for correction in purchase.corrections:
        apply_changes(state, correction.changes)
        if correction.seller_changes and state.get("seller") is not None:
            apply_changes(state, {"seller": correction.seller_changes})
    return state


def correct_purchase(
    session: Session, purchase: Purchase, payload, *, now: datetime, user_id: int | None = None
) -> Correction:
    """Record a correction of ``purchase`` (flushes, never commits)."""
    dealer = purchase.dealer
    ensure_active(dealer)
    try:
        request = CorrectionIn().load(payload if isinstance(payload, dict) else {})
    except ValidationError as exc:
        raise InvalidEntry(flatten_errors(exc.messages)) from None
    if purchase.seller is not None and purchase.seller.purged_at is not None:
        raise StateConflict(
            Message(
                "The seller's data of this entry was removed after the retention period; "
                "the entry can no longer be corrected."
            )
        )
    changes = request["changes"]
    _check_shape(changes, purchase)
    current = current_shape(purchase)
    merged = apply_changes(copy.deepcopy(current), changes)
    corrected = _validated(merged, changes, dealer, now)
    new_changes, previous = _difference(current, corrected)
    if not new_changes:
        raise InvalidEntry(
            {"changes": [Message("These changes do not change anything in the entry.")]}
        )
    seller_changes = new_changes.pop("seller", None)
    seller_previous = previous.pop("seller", None)
    head = lock_register(session, dealer, new_sequence_number=False)
    correction = Correction(
        purchase=purchase,
        dealer_id=dealer.id,
        reason=request["reason"],
        changes=new_changes,
        previous=previous,
        seller_changes=seller_changes,
        seller_previous=seller_previous,
        recorded_at=now,
        recorded_by_id=user_id,
        **chain.place(head),
    )
    correction.seller_data_hash = chain.correction_seller_digest(correction)
    session.add(correction)
    chain.seal(session, head, correction)
    _recheck_identifiers(session, purchase, new_changes.get("items", []), now)
    if new_changes.get("items"):
        on_corrected(session, purchase, now=now)  # search indexes and alerts
    return correction


def _check_shape(changes: dict, purchase: Purchase) -> None:
    errors: dict[str, list] = {}
    for key in changes:
        if key not in CORRECTABLE:
            errors[f"changes.{key}"] = [Message("This field cannot be corrected.")]
    if "seller" in changes and not isinstance(changes["seller"], dict):
        errors["changes.seller"] = [Message("Give the seller's corrected fields as an object.")]
    items = changes.get("items", [])
    if not isinstance(items, list):
        errors["changes.items"] = [Message("Give the corrected items as a list.")]
        items = []
    ids = {item.id for item in purchase.items}
    seen = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"changes.items.{index}"] = [Message("Give each corrected item as an object.")]
            continue
        if item.get("id") not in ids or item.get("id") in seen:
            errors[f"changes.items.{index}.id"] = [
                Message("Name an item of this entry by its id (each item once).")
            ]
        seen.add(item.get("id"))
        for key in item:
            if key != "id" and key not in ITEM_CORRECTABLE:
                errors[f"changes.items.{index}.{key}"] = [
                    Message("This field cannot be corrected.")
                ]
    if errors:
        raise InvalidEntry(errors)


def _validated(merged: dict, changes: dict, dealer, now) -> dict:
    """The corrected entry as clean data; errors named by their place in ``changes``."""
    payload = copy.deepcopy(merged)
    ids = [item.pop("id") for item in payload["items"]]
    try:
        data = PurchaseIn(rules=rules_for(dealer, now)).load(payload)
    except ValidationError as exc:
        raise InvalidEntry(_changes_paths(flatten_errors(exc.messages), ids, changes)) from None
    shape = {
        "acquired_at": data["acquired_at"].astimezone(AMSTERDAM).isoformat(),
        "acquisition_type": data["acquisition_type"],
        "seller": _plain(data.get("seller")),
        "items": [
            {"id": item_id, **{name: item.get(name) for name in ITEM_CORRECTABLE}}
            for item_id, item in zip(ids, data["items"], strict=True)
        ],
    }
    return shape


def _changes_paths(errors: dict, ids: list, changes: dict) -> dict:
    index_of = {item.get("id"): i for i, item in enumerate(changes.get("items", []))}
    mapped: dict[str, list] = {}
    for path, messages in errors.items():
        parts = path.split(".")
        if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit():
            item_id = ids[int(parts[1])]
            if item_id in index_of:
                parts[1] = str(index_of[item_id])
        mapped.setdefault("changes." + ".".join(parts), []).extend(messages)
    return mapped


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _difference(current: dict, corrected: dict) -> tuple[dict, dict]:
    """(changed values, the values they replace), in the registration's shape."""
    changes: dict = {}
    previous: dict = {}
    if _moment(current["acquired_at"]) != _moment(corrected["acquired_at"]):
        changes["acquired_at"] = corrected["acquired_at"]
        previous["acquired_at"] = current["acquired_at"]
    if current["acquisition_type"] != corrected["acquisition_type"]:
        changes["acquisition_type"] = corrected["acquisition_type"]
        previous["acquisition_type"] = current["acquisition_type"]
    seller_new, seller_old = _dict_difference(current.get("seller"), corrected.get("seller"))
    if seller_new or seller_old:
        changes["seller"] = seller_new
        previous["seller"] = seller_old
    item_changes, item_previous = [], []
    for old, new in zip(current["items"], corrected["items"], strict=True):
        changed = [name for name in ITEM_CORRECTABLE if old.get(name) != new.get(name)]
        if changed:
            item_changes.append({"id": old["id"], **{n: new.get(n) for n in changed}})
            item_previous.append({"id": old["id"], **{n: old.get(n) for n in changed}})
    if item_changes:
        changes["items"] = item_changes
        previous["items"] = item_previous
    return changes, previous


def _dict_difference(old, new) -> tuple[dict, dict]:
    if old is None or new is None:
        return (new or {}, old or {}) if old != new else ({}, {})
    changed, replaced = {}, {}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            sub_new, sub_old = _dict_difference(a, b)
            if sub_new or sub_old:
                changed[key], replaced[key] = sub_new, sub_old
        elif a != b:
            changed[key], replaced[key] = b, a
    return changed, replaced


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _recheck_identifiers(session: Session, purchase: Purchase, item_changes, now) -> None:
    """A corrected identifier is what matching uses from now on: check it at once."""
    items = {item.id: item for item in purchase.items}
    state = {item["id"]: item for item in current_shape(purchase)["items"]}
    for change in item_changes:
        if not {"imei", "serial_number", "frame_number", "brand"} & set(change):
            continue
        item = items[change["id"]]
        values = state[item.id]
        for column, value in normalised_identifiers(values).items():
            setattr(item, column, value)
        identifiers = identifiers_of(values)
        registration_turn(session)
        index_item(session, item.id, identifiers)
        record_reindexed(session, item)
        (matches,) = find_matches(session, [identifiers])
        record_hits(session, [(item, m) for m in matches], trigger="registration", now=now)
    session.flush()
