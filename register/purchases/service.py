"""The register's rules: registering an acquisition and selling an item.

Services flush, never commit: the request, CLI command or job around them commits once. A
registration is validated completely before anything is written, so nothing is half-stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from stolen_db.matching import Identifiers
from stolen_db.normalize import normalize_frame, normalize_imei, normalize_serial

from ..clock import AMSTERDAM, aware
from ..dealers.models import Dealer
from ..dealers.rules import rule_in_force
from ..errors import flatten_errors
from ..hits.service import check_items
from ..inspections.service import open_task
from ..investigation import on_registered
from . import chain
from .holding import first_sale_day, hold_until, registration_deadline
from .messages import Message
from .models import Item, ItemStatus, Purchase, Sale, Seller, transition_item
from .schemas import CLOCK_SKEW, PurchaseIn, RegistrationRules, SaleIn

log = logging.getLogger(__name__)


class RegisterError(Exception):
    """A request the register refuses; ``status`` is the HTTP status it answers with."""

    status = 400

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidEntry(RegisterError):
    status = 422

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None):
        super().__init__(
            detail
            or Message("The entry has invalid fields: %(fields)s.", fields=", ".join(errors)),
            errors,
        )


class DealerNotActive(RegisterError):
    status = 403


class StateConflict(RegisterError):
    status = 409


def ensure_active(dealer: Dealer) -> None:
    """Only a dealer connected to the DOR (status active) may write to its register."""
    if dealer.status != "active":
        raise DealerNotActive(
            Message(
                "This dealer is not connected to the DOR (status: %(status)s), so it cannot "
                "register. The municipality connects a dealer once it accepts its start report.",
                status=dealer.status,
            )
        )


def lock_register(
    session: Session, dealer: Dealer, *, new_sequence_number: bool, count: int = 1
) -> chain.ChainHead:
    """Lock the dealer's chain head (``chain.take_head``); the dealer must still be active
    once its register is locked (a municipality may have stopped it since the request read
    it)."""
    try:
        return chain.take_head(
            session, dealer.id, new_sequence_number=new_sequence_number, count=count
        )
    except chain.NotActive:
        session.refresh(dealer)
        ensure_active(dealer)
        raise DealerNotActive(Message("This dealer is not connected to the DOR.")) from None


def rules_for(dealer: Dealer, now: datetime) -> RegistrationRules:
    rule = rule_in_force(dealer.municipality, now.astimezone(AMSTERDAM).date())
    return RegistrationRules(
        dealer_kind=dealer.kind, minimum_seller_age=rule.minimum_seller_age, now=now
    )


_schemas = threading.local()


def _purchase_schema() -> PurchaseIn:
    """This thread's registration schema: made once, as building one (with its nested
    schemas) costs more than loading a registration with it."""
    schema = getattr(_schemas, "purchase", None)
    if schema is None:
        schema = _schemas.purchase = PurchaseIn()
    return schema


def validate_registration(payload, dealer: Dealer, *, now: datetime) -> dict:
    """The registration as clean data, or InvalidEntry naming every bad field."""
    if not isinstance(payload, dict):
        raise InvalidEntry({"_schema": [Message("Send the registration as a JSON object.")]})
    schema = _purchase_schema()
    schema.rules = rules_for(dealer, now)
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidEntry(flatten_errors(exc.messages)) from None


def register_purchase(
    session: Session, dealer: Dealer, payload, *, now: datetime, user_id: int | None = None
) -> Purchase:
    """Validate and record one acquisition with its items (flushes, never commits)."""
    ensure_active(dealer)
    data = validate_registration(payload, dealer, now=now)
    (purchase,) = record_registrations(session, dealer, [data], now=now, user_id=user_id)
    return purchase


def record_registrations(
    session: Session,
    dealer: Dealer,
    registrations: list[dict],
    *,
    now: datetime,
    user_id: int | None = None,
) -> list[Purchase]:
    """Record validated registrations of one dealer: numbered, chained, every item checked
    against Stop Heling, late ones flagged with a task (flushes, never commits). One entry
    at the counter or a chunk of a CSV file: the same few statements."""
    ensure_active(dealer)
    today = now.astimezone(AMSTERDAM).date()
    municipality = rule_in_force(dealer.municipality, today, session)  # the rule of the day
    periods: dict = {}  # acquisition date -> (registration deadline, hold until)
    purchases = []
    for data in registrations:
        acquired_at = data["acquired_at"].astimezone(UTC)  # SQLite keeps no offset: store UTC
        acquisition_date = acquired_at.astimezone(AMSTERDAM).date()
        if acquisition_date not in periods:
            periods[acquisition_date] = (
                registration_deadline(acquisition_date, municipality),
                hold_until(today, municipality),
            )
        deadline, until = periods[acquisition_date]
        status = (ItemStatus.HOLDING if today <= until else ItemStatus.AVAILABLE).value
        purchases.append(
            Purchase(
                dealer=dealer,
                acquired_at=acquired_at,
                acquisition_date=acquisition_date,
                acquisition_type=data["acquisition_type"],
                seller=_new_seller(data.get("seller"), dealer, now),
                recorded_at=now,
                recorded_by_id=user_id,
                late=today > deadline,
                registration_deadline=deadline,
                entry_hash="",  # sealed below, once the ids are known
                # A new entry has no corrections and its items no sale.
                corrections=[],
                items=[
                    _new_item(item, position, dealer, until, status, now)
                    for position, item in enumerate(data["items"])
                ],
            )
        )
    # From here until the commit, other registrations of this dealer wait: keep it short.
    head = lock_register(session, dealer, new_sequence_number=True, count=len(purchases))
    for offset, purchase in enumerate(purchases):
        purchase.sequence_number = head.sequence_number + offset
        purchase.chain_position = head.position + offset
    session.add_all(purchases)
    session.flush()  # the ids, which the chain hashes
    prev_hash = head.prev_hash
    for purchase in purchases:
        seller_hash = None if purchase.seller is None else purchase.seller.data_hash
        purchase.prev_hash = prev_hash
        purchase.entry_hash = chain.chain_hash(
            prev_hash, chain.purchase_content(purchase, seller_hash=seller_hash)
        )
        prev_hash = purchase.entry_hash
    if purchases:
        chain.move_head(session, dealer.id, prev_hash)
    check_items(session, [item for p in purchases for item in p.items], now=now)
    on_registered(session, purchases, now=now)  # search indexes and alerts
    for purchase in purchases:
        if purchase.late:
            open_task(
                session,
                dealer=dealer,
                reason="late_registration",
                now=now,
                dedupe_key=f"purchase:{purchase.id}",
                details=Message(
                    "purchase %(purchase)s (sequence number %(number)s), acquired %(acquired)s, "
                    "registered %(registered)s, deadline %(deadline)s",
                    purchase=purchase.id,
                    number=purchase.sequence_number,
                    acquired=purchase.acquisition_date.isoformat(),
                    registered=today.isoformat(),
                    deadline=purchase.registration_deadline.isoformat(),
                ),
            )
    session.flush()
    for purchase in purchases:
        log.info(
            "registered purchase %s for dealer %s",
            purchase.id,
            dealer.id,
            extra={"purchase_id": purchase.id, "dealer_id": dealer.id},
        )
    return purchases


def seller_fields(data: dict) -> dict:
    """A validated seller (``PurchaseIn``'s ``seller``) as the seller row's fields that its
    ``data_hash`` covers (``chain.SELLER_FIELDS``)."""
    address = data["address"]
    document = data["id_document"]
    return {
        "name": data["name"],
        "birth_date": data["birth_date"],
        "street": address["street"],
        "house_number": address["house_number"],
        "postcode": address.get("postcode"),
        "city": address["city"],
        "country": address.get("country") or "NL",
        "id_document_type": document["type"],
        "id_document_number": document["number"],
        "id_document_country": document["issuing_country"],
    }


def _new_seller(data: dict | None, dealer: Dealer, now: datetime) -> Seller | None:
    if data is None:
        return None
    fields = seller_fields(data)
    return Seller(dealer_id=dealer.id, **fields, created_at=now, data_hash=chain.digest(fields))


def _new_item(data, position, dealer, until, status, now) -> Item:
    item = Item(
        dealer_id=dealer.id,
        position=position,
        category=data["category"],
        brand=data.get("brand"),
        model=data.get("model"),
        description=data.get("description"),
        price_cents=data.get("price_cents"),
        status=status,
        hold_until=until,
        hold_until_registered=None,
        created_at=now,
        sale=None,
    )
    set_identifiers(item, data)
    return item


_NORMALISE = {
    "imei": ("imei_norm", normalize_imei),
    "serial_number": ("serial_norm", normalize_serial),
    "frame_number": ("frame_norm", normalize_frame),
}


def normalised_identifiers(values: Mapping) -> dict[str, str | None]:
    """The normalised columns (``imei_norm``, ``serial_norm``, ``frame_norm``) of an item
    whose identifiers are typed as in ``values``: what matching uses (None when empty)."""
    return {
        column: (normalise(values.get(name)) or None) if values.get(name) else None
        for name, (column, normalise) in _NORMALISE.items()
    }


def identifiers_of(values: Mapping) -> Identifiers:
    """An item's identifiers and brand as typed in ``values``, as matching reads them."""
    return Identifiers(
        imei=values.get("imei"),
        serial_number=values.get("serial_number"),
        frame_number=values.get("frame_number"),
        brand=values.get("brand"),
    )


def set_identifiers(item: Item, data: dict) -> None:
    """Keep identifiers as typed and in normalised form (what matching uses)."""
    item.imei = data.get("imei")
    item.serial_number = data.get("serial_number")
    item.frame_number = data.get("frame_number")
    for column, value in normalised_identifiers(data).items():
        setattr(item, column, value)


# -- sales ------------------------------------------------------------------------------------


def sell_item(
    session: Session, item: Item, payload, *, now: datetime, user_id: int | None = None
) -> Sale:
    """Record the sale of an item; StateConflict while it may not be sold (flushes)."""
    dealer = item.purchase.dealer
    ensure_active(dealer)
    data = validate_sale(payload, item, now=now)
    head = lock_register(session, dealer, new_sequence_number=False)
    session.refresh(item)  # the status as it is now that the dealer's register is locked
    sold_on = data["sold_at"].astimezone(AMSTERDAM).date()
    refuse_sale_if_not_allowed(item, sold_on)
    if item.status == ItemStatus.HOLDING:
        transition_item(item, ItemStatus.AVAILABLE)
    transition_item(item, ItemStatus.SOLD)
    buyer = data.get("buyer")
    sale = Sale(
        item=item,
        dealer_id=dealer.id,
        sold_at=data["sold_at"].astimezone(UTC),
        price_cents=data["price_cents"],
        buyer=buyer,
        buyer_data_hash=None if buyer is None else chain.digest(buyer),
        recorded_at=now,
        recorded_by_id=user_id,
        **chain.place(head),
    )
    session.add(sale)
    chain.seal(session, head, sale)
    return sale


def refuse_sale_if_not_allowed(item: Item, sold_on) -> None:
    status = ItemStatus(item.status)
    if status == ItemStatus.POLICE_HOLD:
        raise StateConflict(
            Message(
                "This item is on police hold: it may not be sold, changed or handed over "
                "until the police release it."
            )
        )
    if status == ItemStatus.SEIZED:
        raise StateConflict(Message("This item was seized by the police; it cannot be sold."))
    if status == ItemStatus.SOLD:
        raise StateConflict(Message("This item is sold already."))
    if status == ItemStatus.HOLDING and sold_on <= item.hold_until:
        raise StateConflict(
            Message(
                "This item is in its holding period until %(until)s (inclusive); "
                "it may be sold from %(first)s.",
                until=item.hold_until.isoformat(),
                first=first_sale_day(item.hold_until).isoformat(),
            )
        )


def validate_sale(payload, item: Item, *, now: datetime) -> dict:
    if not isinstance(payload, dict):
        raise InvalidEntry({"_schema": [Message("Send the sale as a JSON object.")]})
    errors: dict = {}
    try:
        data = SaleIn().load(payload)
    except ValidationError as exc:
        errors = exc.messages
        data = exc.valid_data or {}
    municipality = rule_in_force(
        item.purchase.dealer.municipality, now.astimezone(AMSTERDAM).date()
    )
    if municipality.buyer_required_on_sale and "buyer" not in errors and data.get("buyer") is None:
        errors["buyer"] = [
            Message("The municipality asks for the buyer's name and address on every sale.")
        ]
    sold_at = data.get("sold_at")
    if sold_at is not None:
        if sold_at > now + CLOCK_SKEW:
            errors["sold_at"] = [Message("The sale cannot be in the future.")]
        elif sold_at < aware(item.purchase.acquired_at):
            errors["sold_at"] = [Message("The sale cannot be before the acquisition.")]
    if errors:
        raise InvalidEntry(flatten_errors(errors))
    buyer = data.get("buyer")
    if buyer is not None:
        data["buyer"] = _plain_json(buyer)
    return data


def _plain_json(value):
    """Dates as ISO text: what a JSON column stores and the chain hashes."""
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items() if v is not None}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
