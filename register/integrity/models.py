"""The ledger: chains of entries recording what the register changes in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LedgerHead(db.Model):
    """Where a ledger chain ends: its last position (a counter taken under this row's write
    lock, so positions are gapless) and the hash of its last entry."""

    __tablename__ = "ledger_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str | None] = mapped_column(String(64))


class LedgerEntry(db.Model):
    """One entry of a ledger chain: a batch of records of one kind (``ledger.KINDS``), its
    hash keyed (``keyed.keyed_hash``) over its chain, position, kind, time, content and the
    previous entry's hash."""

    __tablename__ = "ledger_entries"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
