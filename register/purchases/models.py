"""The DOR: sellers, acquisitions (purchases) and their items.

Registers are append-only: these rows are never overwritten with new content. A correction is
a new entry that refers to the one it corrects; the only in-place changes are an item's status
(its lifecycle) and the retention purge that blanks a seller's personal data.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

ACQUISITION_TYPES = ("purchase", "exchange", "donation")
ID_DOCUMENT_TYPES = ("passport", "id_card", "driving_licence", "residence_permit")
CATEGORIES = (
    "phone", "tablet", "laptop", "computer", "ict_other", "camera", "audio_video",
    "game_console", "bicycle", "e_bike", "bicycle_part", "moped", "vehicle_part", "watch",
    "jewellery", "precious_metal", "precious_stone", "art", "tool", "other",
)  # fmt: skip
ICT_CATEGORIES = ("phone", "tablet", "laptop", "computer", "ict_other")


class ItemStatus(enum.StrEnum):
    HOLDING = "holding"
    AVAILABLE = "available"
    SOLD = "sold"
    POLICE_HOLD = "police_hold"
    SEIZED = "seized"
    RELEASED = "released"


# The item lifecycle. A police hold can start from any state in which the dealer still has
# the item (a theft reported after registration makes a retroactive hit).
ITEM_TRANSITIONS: dict[ItemStatus, set[ItemStatus]] = {
    ItemStatus.HOLDING: {ItemStatus.AVAILABLE, ItemStatus.POLICE_HOLD},
    ItemStatus.AVAILABLE: {ItemStatus.SOLD, ItemStatus.POLICE_HOLD},
    ItemStatus.SOLD: set(),
    ItemStatus.POLICE_HOLD: {ItemStatus.SEIZED, ItemStatus.RELEASED},
    ItemStatus.SEIZED: set(),
    ItemStatus.RELEASED: {ItemStatus.SOLD, ItemStatus.POLICE_HOLD},
}


def effective_status(item, today: date) -> str:
    """An item's status as of ``today`` (an ``Item`` or a new entry's plain item): a holding
    period that ended makes the item available."""
    if item.status == ItemStatus.HOLDING and today > item.hold_until:
        return ItemStatus.AVAILABLE.value
    return item.status


class IllegalTransition(ValueError):
    """The item's current status does not allow the requested change."""


def transition_item(item: Item, new: ItemStatus) -> None:
    """The one place an item's status changes; refuses illegal transitions."""
    current = ItemStatus(item.status)
    if new == current:
        return
    if new not in ITEM_TRANSITIONS[current]:
        raise IllegalTransition(f"an item that is {current} cannot become {new}")
    from ..integrity.ledger import record_transition  # the ledger reads these models

    record_transition(item, current, new)
    item.status = new.value


class Seller(db.Model):
    """The person an item was acquired from. Personal data: purged after the retention period."""

    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    id_document_type: Mapped[str | None] = mapped_column(String(32))
    id_document_number: Mapped[str | None] = mapped_column(String(64))
    id_document_country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # SHA-256 of the personal data as registered. The register's hash chain covers this
    # digest, not the data itself, so the retention purge can blank the data and the chain
    # still verifies.
    data_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None


class Purchase(db.Model):
    """One acquisition from one seller: a register entry with a gapless sequence number."""

    __tablename__ = "purchases"
    __table_args__ = (
        UniqueConstraint("dealer_id", "sequence_number", name="uq_purchases_dealer_sequence"),
        CheckConstraint(
            "acquisition_type IN ('purchase', 'exchange', 'donation')", name="acquisition_type"
        ),
        Index("ix_purchases_dealer_acquired", "dealer_id", "acquisition_date"),
        Index("ix_purchases_late", "late", "dealer_id"),
        UniqueConstraint("dealer_id", "chain_position", name="uq_purchases_dealer_chain"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    sequence_number: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acquisition_date: Mapped[date] = mapped_column(Date)  # the Dutch calendar date
    acquisition_type: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Registered later than the municipality allows after the acquisition.
    late: Mapped[bool] = mapped_column(default=False)
    registration_deadline: Mapped[date] = mapped_column(Date)
    # The per-dealer hash chain: this entry's hash covers its content and prev_hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # Place in the dealer's chain of entries (purchases, corrections and sales together).
    chain_position: Mapped[int] = mapped_column(Integer)

    dealer = relationship("Dealer", lazy="joined")
    seller = relationship(Seller, lazy="joined")
    items = relationship("Item", back_populates="purchase", order_by="Item.position")
    corrections = relationship(
        "Correction", back_populates="purchase", order_by="Correction.chain_position"
    )


class Item(db.Model):
    """One acquired good. Identifiers are kept as typed and in normalised form."""

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(
            "status IN ('holding', 'available', 'sold', 'police_hold', 'seized', 'released')",
            name="status",
        ),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price"),
        Index("ix_items_imei_norm", "imei_norm"),
        Index("ix_items_serial_norm", "serial_norm"),
        Index("ix_items_frame_norm", "frame_norm"),
        Index("ix_items_dealer_status", "dealer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))  # scope without a join
    position: Mapped[int] = mapped_column(Integer)  # 0-based, as in the request's items list
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price_cents: Mapped[int | None] = mapped_column(Integer)
    imei: Mapped[str | None] = mapped_column(String(64))
    imei_norm: Mapped[str | None] = mapped_column(String(32))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    serial_norm: Mapped[str | None] = mapped_column(String(100))
    frame_number: Mapped[str | None] = mapped_column(String(100))
    frame_norm: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    hold_until: Mapped[date] = mapped_column(Date)  # last day of the holding period
    # Set only where the holding period was extended after registration (the 2026-12 rule
    # that it counts from the registration day): the hold_until the entry was hashed with.
    hold_until_registered: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    purchase = relationship(Purchase, back_populates="items")
    sale = relationship("Sale", back_populates="item", uselist=False)

    def effective_status(self, today: date) -> str:
        return effective_status(self, today)


class Correction(db.Model):
    """A dated correction of a register entry: a new entry that refers to the one it corrects.

    ``changes`` holds the corrected values in the registration's shape (items named by id),
    ``previous`` the values they replace. Changes to the seller's personal data are kept apart
    in ``seller_changes``/``seller_previous`` so that the retention purge can blank them.
    """

    __tablename__ = "corrections"
    __table_args__ = (
        UniqueConstraint("dealer_id", "chain_position", name="uq_corrections_dealer_chain"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON)
    previous: Mapped[dict] = mapped_column(JSON)
    seller_changes: Mapped[dict | None] = mapped_column(JSON)
    seller_previous: Mapped[dict | None] = mapped_column(JSON)
    seller_data_hash: Mapped[str | None] = mapped_column(String(64))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chain_position: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    purchase = relationship(Purchase, back_populates="corrections")


class Sale(db.Model):
    """The sale side of the register: when, for how much and (where asked) to whom."""

    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("dealer_id", "chain_position", name="uq_sales_dealer_chain"),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_cents: Mapped[int | None] = mapped_column(Integer)
    # The buyer's personal data (as the bylaw asks); purged like a seller's.
    buyer: Mapped[dict | None] = mapped_column(JSON)
    buyer_data_hash: Mapped[str | None] = mapped_column(String(64))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chain_position: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    item = relationship(Item, back_populates="sale")
