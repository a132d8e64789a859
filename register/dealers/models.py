"""Municipalities with their local rules, and dealers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

DEALER_KINDS = ("commercial", "thrift", "foreign")
DEALER_STATUSES = ("pending", "active", "stopped")


class Municipality(db.Model):
    __tablename__ = "municipalities"
    __table_args__ = (
        CheckConstraint("holding_period_unit IN ('days', 'working_days')", name="holding_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # CBS code, e.g. GM0363
    name: Mapped[str] = mapped_column(String(100))
    # Local rules (bylaw). Defaults follow bill 36 036 and common practice.
    holding_period: Mapped[int] = mapped_column(Integer, default=5)
    holding_period_unit: Mapped[str] = mapped_column(String(16), default="working_days")
    registration_grace_working_days: Mapped[int] = mapped_column(Integer, default=1)
    minimum_seller_age: Mapped[int] = mapped_column(Integer, default=18)
    buyer_required_on_sale: Mapped[bool] = mapped_column(default=False)

    dealers = relationship("Dealer", back_populates="municipality")


class Dealer(db.Model):
    __tablename__ = "dealers"
    __table_args__ = (
        CheckConstraint("kind IN ('commercial', 'thrift', 'foreign')", name="kind"),
        CheckConstraint("status IN ('pending', 'active', 'stopped')", name="status"),
        CheckConstraint("kind = 'foreign' OR kvk_number IS NOT NULL", name="kvk_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kvk_number: Mapped[str | None] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="commercial")
    country: Mapped[str] = mapped_column(String(2), default="NL")
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The register's per-dealer counters live on the dealer row: one UPDATE ... RETURNING
    # allocates the next gapless sequence number and chain position and locks the chain head.
    last_sequence_number: Mapped[int] = mapped_column(Integer, default=0)
    last_chain_position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_entry_hash: Mapped[str | None] = mapped_column(String(64))

    municipality = relationship(Municipality, back_populates="dealers", lazy="joined")


# A dealer's connection to the DOR follows its DOL reports: an accepted start report connects
# it (active), an accepted stop report disconnects it (stopped; it can still read its
# register), and a new accepted start report connects it again.
DEALER_TRANSITIONS: dict[str, set[str]] = {
    "pending": {"active"},
    "active": {"stopped"},
    "stopped": {"active"},
}


class IllegalDealerTransition(ValueError):
    """The dealer's current status does not allow the requested change."""


def transition_dealer(dealer: Dealer, new: str, *, now: datetime) -> None:
    """The one place a dealer's status changes; refuses illegal transitions."""
    if new not in DEALER_STATUSES:
        raise IllegalDealerTransition(f"unknown dealer status {new!r}")
    if new == dealer.status:
        return
    if new not in DEALER_TRANSITIONS[dealer.status]:
        raise IllegalDealerTransition(f"a dealer that is {dealer.status} cannot become {new}")
    dealer.status = new
    if new == "active":
        dealer.activated_at = now


def is_connected(dealer: Dealer | None) -> bool:
    """Whether the dealer may register acquisitions in the DOR (its start report accepted)."""
    return dealer is not None and dealer.status == "active"
