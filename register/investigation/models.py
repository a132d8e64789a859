"""The investigation's tables: search indexes beside the items, and alerts with their items.

The search indexes are plain tables with a (key, item id) primary key, the same on SQLite
and PostgreSQL, so that every search criterion is an index lookup whatever the register's
size (DESIGN.md: "Every lookup on a hot path has an index").
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..purchases.models import Item, Purchase, Seller

GRAM_LENGTH = 4  # partial identifiers: at least this many characters (as Stop Heling allows)
WORD_LENGTH = 40  # longer words are indexed by their first WORD_LENGTH characters


class ItemIdentifierGram(db.Model):
    """Every 4-character piece of an item's normalised identifiers (placeholders left out):
    the index behind "contains at least 4 characters" searches."""

    __tablename__ = "item_identifier_grams"
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: Mapped[str] = mapped_column(String(GRAM_LENGTH), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id"), primary_key=True, autoincrement=False
    )


class ItemWord(db.Model):
    """Every word of an item's brand, model and description, case-folded: the full-text
    index behind the ``q`` search."""

    __tablename__ = "item_words"
    __table_args__ = ({"sqlite_with_rowid": False},)

    word: Mapped[str] = mapped_column(String(WORD_LENGTH), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id"), primary_key=True, autoincrement=False
    )


# Indexes on the register's own tables that the search criteria need.
Index("ix_sellers_id_document_number", Seller.id_document_number)
Index("ix_sellers_name_folded", func.lower(Seller.name), Seller.birth_date)
Index("ix_sellers_postcode_folded", func.upper(func.replace(Seller.postcode, " ", "")))
Index("ix_purchases_acquisition_date", Purchase.acquisition_date)
Index("ix_items_category_id", Item.category, Item.id)


class AlertKind(enum.StrEnum):
    FREQUENT_SELLER = "frequent_seller"
    RESOLD_IDENTIFIER = "resold_identifier"
    LOW_PRICE = "low_price"


class AlertStatus(enum.StrEnum):
    NEW = "new"
    INVESTIGATING = "investigating"
    DISMISSED = "dismissed"


# An alert can be taken up, put aside and taken up again; each change carries a note.
ALERT_TRANSITIONS: dict[AlertStatus, set[AlertStatus]] = {
    AlertStatus.NEW: {AlertStatus.INVESTIGATING, AlertStatus.DISMISSED},
    AlertStatus.INVESTIGATING: {AlertStatus.DISMISSED},
    AlertStatus.DISMISSED: {AlertStatus.INVESTIGATING},
}


class Alert(db.Model):
    """A pattern worth a look. ``reason`` is structured (counts, thresholds, window) and is
    rendered as a translated sentence where it is shown. ``subject`` is a SHA-256 of what
    the pattern is about (a document number, an identifier, an item), so one pattern makes
    one alert and the alert itself holds no personal data."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('frequent_seller', 'resold_identifier', 'low_price')", name="kind"
        ),
        CheckConstraint("status IN ('new', 'investigating', 'dismissed')", name="status"),
        Index("ix_alerts_kind_subject", "kind", "subject", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.NEW.value)
    reason: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    links = relationship("AlertItem", order_by="AlertItem.item_id", lazy="selectin")


class AlertItem(db.Model):
    """An entry an alert is about."""

    __tablename__ = "alert_items"
    __table_args__ = ({"sqlite_with_rowid": False},)

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id"), primary_key=True, autoincrement=False, index=True
    )


class InvestigationWatermark(db.Model):
    """How far a worker job has looked: the highest item id it has seen."""

    __tablename__ = "investigation_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_item_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
