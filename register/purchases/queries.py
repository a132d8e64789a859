"""Reading the register in scope: a dealer its own, enforcement its area, police everything."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from stolen_db.normalize import normalize_imei, normalize_serial

from ..accounts.audit import record_accesses
from ..accounts.authz import Principal
from ..accounts.models import Role
from ..dealers.models import Dealer
from .models import Correction, Item, ItemStatus, Purchase

# Roles that read other dealers' registers, only with a stated purpose and always audited.
INVESTIGATING_ROLES = (Role.POLICE, Role.ENFORCEMENT)


def status_clause(status: str, today: date):
    """Items with this status as of today (a holding period that ended means available)."""
    if status == ItemStatus.HOLDING:
        return and_(Item.status == ItemStatus.HOLDING.value, Item.hold_until >= today)
    if status == ItemStatus.AVAILABLE:
        return or_(
            Item.status == ItemStatus.AVAILABLE.value,
            and_(Item.status == ItemStatus.HOLDING.value, Item.hold_until < today),
        )
    return Item.status == status


def identifier_clause(text: str):
    clauses = []
    digits = normalize_imei(text)
    if digits:
        clauses.append(Item.imei_norm == digits)
    norm = normalize_serial(text)
    if norm:
        clauses += [Item.serial_norm == norm, Item.frame_norm == norm]
    return or_(*clauses) if clauses else Item.id.is_(None)


def scoped_purchases(principal: Principal):
    return (
        select(Purchase)
        .join(Dealer, Dealer.id == Purchase.dealer_id)
        .where(principal.dealer_clause(Dealer.id, Dealer.municipality_id))
    )


def purchase_query(principal: Principal, args: dict, today: date):
    """The purchases in scope that match the filters, newest registration first."""
    statement = scoped_purchases(principal)
    item_filters = []
    if args.get("identifier"):
        item_filters.append(identifier_clause(args["identifier"]))
    if args.get("category"):
        item_filters.append(Item.category == args["category"])
    if args.get("status"):
        item_filters.append(status_clause(args["status"], today))
    if item_filters:
        statement = statement.where(exists().where(Item.purchase_id == Purchase.id, *item_filters))
    if args.get("date_from"):
        statement = statement.where(Purchase.acquisition_date >= args["date_from"])
    if args.get("date_to"):
        statement = statement.where(Purchase.acquisition_date <= args["date_to"])
    if args.get("dealer_id") is not None:
        statement = statement.where(Purchase.dealer_id == args["dealer_id"])
    if args.get("late") is not None:
        statement = statement.where(Purchase.late.is_(args["late"]))
    if args.get("sequence_number") is not None:
        statement = statement.where(Purchase.sequence_number == args["sequence_number"])
    return statement.options(*loading()).order_by(
        Purchase.dealer_id, Purchase.sequence_number.desc()
    )


def loading():
    return (
        selectinload(Purchase.items).selectinload(Item.sale),
        selectinload(Purchase.corrections),
    )


def visible_purchase(session: Session, principal: Principal, purchase_id: int) -> Purchase | None:
    return session.scalar(
        scoped_purchases(principal).where(Purchase.id == purchase_id).options(*loading())
    )


def visible_item(session: Session, principal: Principal, item_id: int) -> Item | None:
    return session.scalar(
        select(Item)
        .join(Dealer, Dealer.id == Item.dealer_id)
        .where(Item.id == item_id, principal.dealer_clause(Dealer.id, Dealer.municipality_id))
    )


def needs_purpose(principal: Principal) -> bool:
    return principal.role in INVESTIGATING_ROLES


def audit_seller_reads(
    session: Session, principal: Principal, purchases, purpose: str | None, *, action: str
) -> None:
    """One audit entry per entry whose seller data a police officer or inspector saw."""
    if not needs_purpose(principal):
        return
    record_accesses(
        session,
        [
            {
                "user_id": principal.user_id,
                "action": action,
                "record_type": "purchase",
                "record_id": purchase.id,
                "purpose": purpose,
                "details": {"dealer_id": purchase.dealer_id, "seller_id": purchase.seller_id},
            }
            for purchase in purchases
            if _has_personal_data(purchase)
        ],
    )


def _has_personal_data(purchase: Purchase) -> bool:
    if purchase.seller is not None and purchase.seller.purged_at is None:
        return True
    if any(c.seller_changes is not None for c in purchase.corrections):
        return True
    return any(item.sale is not None and item.sale.buyer for item in purchase.items)


def corrections_of(session: Session, purchase_id: int) -> list[Correction]:
    return list(
        session.scalars(
            select(Correction)
            .where(Correction.purchase_id == purchase_id)
            .order_by(Correction.chain_position)
        )
    )
