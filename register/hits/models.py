"""Hits: a registered item that matches an active stolen report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stolen_db.models import StolenReport

from ..extensions import db


class Hit(db.Model):
    __tablename__ = "hits"
    __table_args__ = (
        # One hit per (item, stolen report), whatever retries or re-checks happen.
        UniqueConstraint("item_id", "stolen_report_id", name="uq_hits_item_report"),
        CheckConstraint("trigger IN ('registration', 'theft_report')", name="trigger"),
        CheckConstraint(
            "match_kind IN ('exact', 'normalized', 'lookalike', 'near')", name="match_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    # A cross-package reference: stolen_db declares its own metadata, so name the column.
    stolen_report_id: Mapped[int] = mapped_column(ForeignKey(StolenReport.id), index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    match_kind: Mapped[str] = mapped_column(String(16))
    identifier_type: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    outbox_event_id: Mapped[int | None] = mapped_column()

    item = relationship("Item", lazy="joined")
    dealer = relationship("Dealer", lazy="joined")
    stolen_report = relationship(StolenReport, lazy="joined")


class ItemIdentifierKey(db.Model):
    """The look-alike and near keys of a registered item's identifiers (``stolen_db.keys``).

    Written when the item is checked at registration; a new theft report looks its own keys
    up here, so retroactive look-alike and near matching is an index lookup too. The primary
    key (key, item_id) is that index; on SQLite the table is stored WITHOUT ROWID.
    """

    __tablename__ = "item_identifier_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id"), primary_key=True, autoincrement=False
    )
