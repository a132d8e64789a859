"""The register's rules: registering an acquisition and selling an item.

Services flush, never commit: the request, CLI command or job around them commits once. A
registration is validated completely before anything is written, so nothing is half-stored.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import NoReturn

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from stolen_db.lookup import fetch_all, fetch_each
from stolen_db.matching import Match
from stolen_db.normalize import normalize_frame, normalize_imei, normalize_serial

from ..clock import AMSTERDAM
from ..database import IdRequest, insert_rows, pipelined
from ..dealers.models import Dealer
from ..errors import flatten_errors
from ..hits.service import match_new_items_later, record_hits
from ..inspections.service import TaskRequest, open_tasks
from ..timeutil import aware
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
    """Lock the dealer's chain head (``chain.HeadRequest``); the dealer must still be active
    once its register is locked (a municipality may have stopped it since the request read
    it)."""
    request = chain.HeadRequest(dealer.id, new_sequence_number, count)
    try:
        return request.head(fetch_all(session, *request.statement))
    except chain.NotActive:
        _refuse_stopped(session, dealer)


def _refuse_stopped(session: Session, dealer: Dealer) -> NoReturn:
    """DealerNotActive for a dealer found stopped under its register's lock (``dealer``
    may be a model or a request's plain copy of one: it is read again)."""
    ensure_active(session.get(Dealer, dealer.id, populate_existing=True))
    raise DealerNotActive(Message("This dealer is not connected to the DOR.")) from None


def rules_for(dealer: Dealer, now: datetime) -> RegistrationRules:
    municipality = dealer.municipality
    age = municipality.minimum_seller_age
    return RegistrationRules(
        dealer_kind=dealer.kind, minimum_seller_age=18 if age is None else age, now=now
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
    return record_registration(session, dealer, data, now=now, user_id=user_id)


def record_registration(
    session: Session, dealer: Dealer, data: dict, *, now: datetime, user_id: int | None = None
) -> Purchase:
    """Record validated registration data: number it, chain it, check every item. The new
    entry as a plain object with the ``Purchase``'s attributes, its ``seller`` and ``items``
    (what the API presents); ``session.get(Purchase, entry.id)`` loads the model."""
    (purchase,) = record_registrations(session, dealer, [data], now=now, user_id=user_id)
    log.info(
        "registered purchase %s for dealer %s",
        purchase.id,
        dealer.id,
        extra={"purchase_id": purchase.id, "dealer_id": dealer.id},
    )
    return purchase


def record_registrations(
    session: Session,
    dealer: Dealer,
    registrations: list[dict],
    *,
    now: datetime,
    user_id: int | None = None,
    item_keys: list[set[int]] | None = None,
    item_matches: list[list[Match]] | None = None,
) -> list[SimpleNamespace]:
    """Record validated registrations of one dealer: numbered, chained, every item indexed
    and checked against Stop Heling, late ones flagged with a task. Flushes, never commits.
    ``item_keys``: the items' ``hits.service.item_keys`` in order, when already computed;
    ``item_matches``: their Stop Heling matches, when already looked up within this
    transaction's matching turn (``hits.service.match_new_items``).

    One registration at the counter or a CSV file of thousands, the same few statements:
    the entries are built in Python before the dealer's register is locked; under the lock
    their ids are taken in one statement, the chain is hashed in Python and the rows go in
    with one multi-row insert per table; the items are matched in batches
    (``match_new_items``). An ORM object costs more than the rest of storing its row, so the
    entries are plain objects with the models' attribute names (``chain`` hashes them and
    the presenters show them as they do models).
    """
    ensure_active(dealer)
    municipality = dealer.municipality
    today = now.astimezone(AMSTERDAM).date()
    periods: dict = {}  # acquisition date -> (registration deadline, hold until)
    purchases = []
    for data in registrations:
        acquired_at = data["acquired_at"].astimezone(UTC)  # SQLite keeps no offset: store UTC
        acquisition_date = acquired_at.astimezone(AMSTERDAM).date()
        if acquisition_date not in periods:
            periods[acquisition_date] = (
                registration_deadline(acquisition_date, municipality),
                hold_until(acquisition_date, municipality),
            )
        deadline, until = periods[acquisition_date]
        purchase = SimpleNamespace(
            id=None, dealer_id=dealer.id, sequence_number=None, acquired_at=acquired_at,
            acquisition_date=acquisition_date, acquisition_type=data["acquisition_type"],
            seller_id=None, recorded_at=now, recorded_by_id=user_id, late=today > deadline,
            registration_deadline=deadline, prev_hash=None, entry_hash=None,
            chain_position=None,
        )  # fmt: skip
        # A new entry has no corrections and its items no sale: known, so presenting it
        # loads nothing.
        purchase.corrections = []
        purchase.seller = _new_seller(data.get("seller"), dealer, now)
        status = (ItemStatus.HOLDING if today <= until else ItemStatus.AVAILABLE).value
        purchase.items = [
            _new_item(item, position, dealer, until, status, now)
            for position, item in enumerate(data["items"])
        ]
        purchases.append(purchase)
    sellers = [p.seller for p in purchases if p.seller is not None]
    items = [item for p in purchases for item in p.items]
    # From here until the commit, other registrations of this dealer wait: keep it short.
    lock = chain.HeadRequest(dealer.id, new_sequence_number=True, count=len(purchases))
    new_ids = IdRequest(session, {Seller: len(sellers), Purchase: len(purchases), Item: len(items)})
    # PostgreSQL: two round trips in one pipeline: the lock and the ids, then the inserts,
    # the keys and the Stop Heling lookups, whose rows come with the sync that ends it.
    try:
        with pipelined(session):
            locked, allocated = fetch_each(session, [lock.statement, new_ids.statement])
            head = lock.head(locked)
            last_hash = _number_and_chain(purchases, sellers, new_ids.ids(allocated), head)
            insert_rows(session, Seller, sellers)
            insert_rows(session, Purchase, purchases)
            insert_rows(session, Item, items)
            chain.move_head(session, dealer.id, last_hash)
            hits_of = match_new_items_later(session, items, item_keys, item_matches)
    except chain.NotActive:  # out of the pipeline, where the ORM can read the dealer again
        _refuse_stopped(session, dealer)
    hits = hits_of()
    if hits:
        for purchase in purchases:  # what a hit's payload reads, known: nothing to load
            purchase.dealer = dealer
            for item in purchase.items:
                item.purchase = purchase
        # ``record_hits`` puts the entries of the items it holds on police hold.
        new_items = {item.id: item for item in items}
        record_hits(session, hits, trigger="registration", now=now, new_items=new_items)
    open_tasks(
        session,
        [
            TaskRequest(
                dealer_id=dealer.id,
                municipality_id=dealer.municipality_id,
                reason="late_registration",
                dedupe_key=f"purchase:{p.id}",
                details=Message(
                    "purchase %(purchase)s (sequence number %(number)s), acquired %(acquired)s, "
                    "registered %(registered)s, deadline %(deadline)s",
                    purchase=p.id,
                    number=p.sequence_number,
                    acquired=p.acquisition_date.isoformat(),
                    registered=today.isoformat(),
                    deadline=p.registration_deadline.isoformat(),
                ),
            )
            for p in purchases
            if p.late
        ],
        now=now,
    )
    return purchases


def _number_and_chain(purchases, sellers, ids: dict, head: chain.ChainHead) -> str | None:
    """Give the new entries their ids and sequence numbers and hash them onto the chain;
    the chain's new last hash."""
    for seller, seller_id in zip(sellers, ids[Seller], strict=True):
        seller.id = seller_id
    item_ids = iter(ids[Item])
    prev_hash, position = head.prev_hash, head.position
    for offset, (purchase, purchase_id) in enumerate(zip(purchases, ids[Purchase], strict=True)):
        purchase.id = purchase_id
        purchase.sequence_number = head.sequence_number + offset
        purchase.seller_id = None if purchase.seller is None else purchase.seller.id
        purchase.chain_position, purchase.prev_hash = position, prev_hash
        for item in purchase.items:
            item.id, item.purchase_id = next(item_ids), purchase_id
        seller_hash = None if purchase.seller is None else purchase.seller.data_hash
        content = chain.purchase_content(purchase, seller_hash=seller_hash)
        purchase.entry_hash = chain.chain_hash(prev_hash, content)
        prev_hash, position = purchase.entry_hash, position + 1
    return prev_hash


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


def hash_seller(data: dict) -> None:
    """Put the seller's ``data_hash`` into validated seller data, where ``_new_seller``
    takes it: the CSV import's helper process computes it beside the validation."""
    data["data_hash"] = chain.digest(seller_fields(data))


def _new_seller(data: dict | None, dealer: Dealer, now: datetime) -> SimpleNamespace | None:
    if data is None:
        return None
    fields = seller_fields(data)
    seller = SimpleNamespace(id=None, dealer_id=dealer.id, **fields, created_at=now,
                             purged_at=None)  # fmt: skip
    # Never from the request: the schema refuses fields it does not know.
    seller.data_hash = data.get("data_hash") or chain.digest(fields)
    return seller


def _new_item(data, position, dealer, until, status, now) -> SimpleNamespace:
    item = SimpleNamespace(
        id=None,
        purchase_id=None,
        dealer_id=dealer.id,
        position=position,
        category=data["category"],
        brand=data.get("brand"),
        model=data.get("model"),
        description=data.get("description"),
        price_cents=data.get("price_cents"),
        status=status,
        hold_until=until,
        created_at=now,
    )
    item.sale = None  # a new item is not sold: known, so presenting it loads nothing
    set_identifiers(item, data)
    return item


def set_identifiers(item: Item, data: dict) -> None:
    """Keep identifiers as typed and in normalised form (what matching uses)."""
    item.imei = data.get("imei")
    item.imei_norm = normalize_imei(item.imei) or None if item.imei else None
    item.serial_number = data.get("serial_number")
    item.serial_norm = normalize_serial(item.serial_number) or None if item.serial_number else None
    item.frame_number = data.get("frame_number")
    item.frame_norm = normalize_frame(item.frame_number) or None if item.frame_number else None


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
    municipality = item.purchase.dealer.municipality
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
