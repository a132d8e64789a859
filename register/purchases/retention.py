"""Retention (AVG): seller and buyer personal data is removed after the retention period.

The item and the entry stay, with a marker (``purged_at``) that the personal data was
removed; the hash chain keeps verifying because it covers the data's digest, not the data.
Running the purge again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .chain import SELLER_FIELDS
from .models import Correction, Purchase, Sale, Seller


@dataclass
class PurgeResult:
    sellers: int = 0
    corrections: int = 0
    sales: int = 0

    @property
    def total(self) -> int:
        return self.sellers + self.corrections + self.sales


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


def purge_expired(
    session: Session, *, now: datetime, retention_days: int, batch_size: int = 500
) -> PurgeResult:
    """Blank personal data recorded before the retention cutoff (flushes, never commits)."""
    cutoff = retention_cutoff(now, retention_days)
    result = PurgeResult()
    sellers = session.scalars(
        select(Seller).where(Seller.purged_at.is_(None), Seller.created_at < cutoff)
    ).all()
    for seller in sellers:
        for name in SELLER_FIELDS:
            setattr(seller, name, None)
        seller.purged_at = now
        result.sellers += 1
        if result.sellers % batch_size == 0:
            session.flush()
    # Corrections of a purged seller's data go with it, whenever they were made.
    corrections = session.scalars(
        select(Correction)
        .join(Purchase, Purchase.id == Correction.purchase_id)
        .join(Seller, Seller.id == Purchase.seller_id)
        .where(
            Correction.purged_at.is_(None),
            Correction.seller_data_hash.is_not(None),
            Seller.purged_at.is_not(None),
        )
    ).all()
    for correction in corrections:
        correction.seller_changes = None
        correction.seller_previous = None
        correction.purged_at = now
        result.corrections += 1
    sales = session.scalars(
        select(Sale).where(
            Sale.purged_at.is_(None), Sale.buyer.is_not(None), Sale.recorded_at < cutoff
        )
    ).all()
    for sale in sales:
        sale.buyer = None
        sale.purged_at = now
        result.sales += 1
    session.flush()
    return result
