"""The counter form: flat field names (``seller.name``, ``items.1.imei``) to and from a payload.

The form's inputs are named by the same paths the API's errors use, so every error lands next
to its field, and everything typed is shown again as it was typed.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..clock import AMSTERDAM
from ..inputs import local_time_text
from .messages import Message

_ITEM_KEY = re.compile(r"^items\.(\d+)\.(\w+)$")
ITEM_FIELDS = (
    "category", "brand", "model", "imei", "serial_number", "frame_number", "description", "price",
)  # fmt: skip
SELLER_FIELDS = (
    "seller.name", "seller.birth_date", "seller.address.street", "seller.address.house_number",
    "seller.address.postcode", "seller.address.city", "seller.address.country",
    "seller.id_document.type", "seller.id_document.number", "seller.id_document.issuing_country",
)  # fmt: skip


PREFILLED_SELLER_FIELDS = {"seller.address.country", "seller.id_document.issuing_country"}


def parse_euros(text: str) -> int | None:
    """'250', '250,00', '1.250,50' or '250.5' as cents; None when it is not an amount."""
    text = text.strip().replace("€", "").replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    cents = amount * 100
    if cents != cents.to_integral_value():
        return None
    return int(cents)


def item_rows(form) -> list[dict]:
    """The item rows as typed, in order, without rows left entirely empty."""
    rows: dict[int, dict] = {}
    for key, value in form.items():
        match = _ITEM_KEY.match(key)
        if match and match.group(2) in ITEM_FIELDS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    ordered = [rows[i] for i in sorted(rows)]
    kept = [row for row in ordered if any((v or "").strip() for v in row.values())]
    return kept or [{}]


def form_values(form) -> dict:
    """What was typed, under the names the template uses (items renumbered from 0)."""
    values = {key: form.get(key, "") for key in ("acquired_at", "acquisition_type", *SELLER_FIELDS)}
    for index, row in enumerate(item_rows(form)):
        for name in ITEM_FIELDS:
            values[f"items.{index}.{name}"] = row.get(name, "")
    values["item_count"] = len(item_rows(form))
    return values


def payload_from_form(form, *, donation_without_seller: bool) -> tuple[dict, dict]:
    """(the registration payload, errors found while reading the form itself)."""
    errors: dict[str, list] = {}
    payload: dict = {
        "acquired_at": local_time_text(form.get("acquired_at", ""), AMSTERDAM),
        "acquisition_type": form.get("acquisition_type") or "purchase",
        "items": [],
    }
    seller: dict = {"address": {}, "id_document": {}}
    for path in SELLER_FIELDS:
        value = form.get(path, "").strip()
        if value:
            target = seller
            *parents, last = path.split(".")[1:]
            for key in parents:
                target = target.setdefault(key, {})
            target[last] = value
    typed = {path for path in SELLER_FIELDS if form.get(path, "").strip()}
    # The form prefills both countries; a thrift shop's donation with nothing else typed
    # has no seller (donors are not asked for identification).
    no_seller = (
        donation_without_seller
        and payload["acquisition_type"] == "donation"
        and typed <= PREFILLED_SELLER_FIELDS
    )
    if not no_seller:
        payload["seller"] = seller
    for index, row in enumerate(item_rows(form)):
        item = {name: row.get(name, "") for name in ITEM_FIELDS if name != "price"}
        price = (row.get("price") or "").strip()
        if price:
            cents = parse_euros(price)
            if cents is None:
                errors[f"items.{index}.price"] = [
                    Message("Enter the price in euros, e.g. 250 or 249,95.")
                ]
            else:
                item["price_cents"] = cents
        else:
            item["price_cents"] = None
        payload["items"].append(item)
    return payload, errors


def form_errors(service_errors: dict, form_errors_: dict) -> dict:
    """Service errors under the form's field names; the form's own errors win."""
    merged: dict[str, list] = {}
    for path, messages in service_errors.items():
        path = re.sub(r"^(items\.\d+)\.price_cents$", r"\1.price", path)
        merged.setdefault(path, []).extend(messages)
    merged.update(form_errors_)
    return merged


def correction_values(current: dict) -> dict:
    """The entry as it reads now, under the correction form's field names."""
    acquired = datetime.fromisoformat(current["acquired_at"]).astimezone(AMSTERDAM)
    values = {"acquired_at": acquired.strftime("%Y-%m-%dT%H:%M")}
    seller = current.get("seller")
    if seller:
        for path in SELLER_FIELDS:
            value: object = seller
            for key in path.split(".")[1:]:
                value = (value or {}).get(key)
            values[path] = value or ""
    for index, item in enumerate(current["items"]):
        for name in ITEM_FIELDS:
            if name == "price":
                cents = item.get("price_cents")
                value = "" if cents is None else f"{cents / 100:.2f}".replace(".", ",")
            else:
                value = item.get(name) or ""
            values[f"items.{index}.{name}"] = value
    return values


def correction_from_form(form, current: dict) -> tuple[dict, dict]:
    """(the correction payload, the form's own errors): every field as typed, the service
    keeps only what differs from the entry as it reads now."""
    errors: dict[str, list] = {}
    changes: dict = {"acquired_at": local_time_text(form.get("acquired_at", ""), AMSTERDAM)}
    if current.get("seller"):
        seller: dict = {}
        for path in SELLER_FIELDS:
            target = seller
            *parents, last = path.split(".")[1:]
            for key in parents:
                target = target.setdefault(key, {})
            target[last] = form.get(path, "").strip() or None
        changes["seller"] = seller
    items = []
    for index, item in enumerate(current["items"]):
        change = {"id": item["id"]}
        for name in ITEM_FIELDS:
            value = form.get(f"items.{index}.{name}", "").strip()
            if name != "price":
                change[name] = value or None
                continue
            cents = parse_euros(value) if value else None
            if value and cents is None:
                errors[f"items.{index}.price"] = [
                    Message("Enter the price in euros, e.g. 250 or 249,95.")
                ]
            change["price_cents"] = cents
        items.append(change)
    changes["items"] = items
    return {"reason": form.get("reason", ""), "changes": changes}, errors


def correction_errors(service_errors: dict, form_errors_: dict) -> dict:
    """Service errors (``changes.items.0.imei``) under the form's names (``items.0.imei``)."""
    renamed = {
        re.sub(r"^changes\.", "", path): messages for path, messages in service_errors.items()
    }
    return form_errors(renamed, form_errors_)
