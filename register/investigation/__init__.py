"""Police investigation: search across every register and alerts on patterns.

``indexing`` keeps the search indexes in step with new and corrected items, ``search`` answers the
search, ``alerts`` finds patterns at registration and in the worker's job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def on_registered(session: Session, purchases, *, now: datetime) -> None:
    """New (flushed) register entries: into the search indexes, and the alerts they make
    where that is cheap (the registration service calls this once per batch)."""
    from .alerts import detect_at_registration
    from .indexing import index_items

    index_items(session, [item for purchase in purchases for item in purchase.items])
    detect_at_registration(session, purchases, now=now)


def on_corrected(session: Session, purchase, *, now: datetime) -> None:
    """A corrected (flushed) register entry: what its items say now into the search
    indexes, beside what they said before, and the alerts its corrected identifiers make
    (the corrections service calls this)."""
    from .alerts import detect_resold
    from .indexing import index_corrected

    index_corrected(session, purchase)
    detect_resold(session, [purchase], now=now)
