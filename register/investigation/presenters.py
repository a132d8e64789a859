"""How alerts are shown: their reason as a translated sentence, their items and dealers."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..dealers.models import Dealer
from ..i18n import euros, long_date
from ..purchases.models import Item, Purchase
from .models import Alert

IDENTIFIER_LABELS = {
    "imei": _l("IMEI"),
    "serial_number": _l("serial number"),
    "frame_number": _l("frame number"),
}
KIND_LABELS = {
    "frequent_seller": _l("Frequent seller"),
    "resold_identifier": _l("Resold identifier"),
    "low_price": _l("Low price"),
}
STATUS_LABELS = {
    "new": _l("New"),
    "investigating": _l("Investigating"),
    "dismissed": _l("Dismissed"),
}


def explanation(alert: Alert) -> str:
    """Why the alert fired, in the reader's language, from its structured reason."""
    r = alert.reason
    if alert.kind == "frequent_seller":
        return _(
            "One identity document sold %(items)s goods at %(dealers)s dealers since "
            "%(since)s (a window of %(window_days)s days). An alert is raised from "
            "%(threshold_items)s goods or %(threshold_dealers)s dealers.",
            **(r | {"since": long_date(r["since"])}),
        )
    if alert.kind == "resold_identifier":
        return _(
            "The same %(identifier)s was registered %(items)s times by %(dealers)s dealers "
            "within %(window_days)s days. An alert is raised from %(threshold_dealers)s "
            "dealers.",
            identifier=IDENTIFIER_LABELS.get(r["identifier_type"], r["identifier_type"]),
            items=r["items"],
            dealers=r["dealers"],
            window_days=r["window_days"],
            threshold_dealers=r["threshold_dealers"],
        )
    median = r["median_cents"] or 1
    return _(
        "Bought for %(price)s: %(percent)s%% of the median price %(median)s of "
        "%(samples)s purchases of %(brand)s %(model)s (%(category)s) in the last "
        "%(window_days)s days. An alert is raised at %(threshold)s%% or less.",
        price=euros(r["price_cents"]),
        percent=round(100 * r["price_cents"] / median),
        median=euros(r["median_cents"]),
        samples=r["samples"],
        brand=r["brand"],
        model=r["model"],
        category=r["category"],
        window_days=r["window_days"],
        threshold=round(100 * r["ratio"]),
    )


def alert_entries(session: Session, alerts: list[Alert]) -> dict[int, list[Item]]:
    """The items of each alert, with their purchases and dealers, in one query."""
    ids = sorted({link.item_id for alert in alerts for link in alert.links})
    items = {
        item.id: item
        for item in session.scalars(
            select(Item)
            .where(Item.id.in_(ids or [0]))
            .options(joinedload(Item.purchase).joinedload(Purchase.dealer))
        )
    }
    return {alert.id: [items[link.item_id] for link in alert.links] for alert in alerts}


def present_alert(alert: Alert, items: list[Item]) -> dict:
    dealers: dict[int, Dealer] = {}
    for item in items:
        dealers.setdefault(item.dealer_id, item.purchase.dealer)
    return {
        "id": alert.id,
        "kind": alert.kind,
        "created_at": alert.created_at,
        "updated_at": alert.updated_at,
        "status": alert.status,
        "explanation": explanation(alert),
        "reason": alert.reason,
        "note": alert.note,
        "items": [
            {
                "id": item.id,
                "purchase_id": item.purchase_id,
                "category": item.category,
                "brand": item.brand,
                "model": item.model,
                "price_cents": item.price_cents,
                "imei": item.imei,
                "serial_number": item.serial_number,
                "frame_number": item.frame_number,
                "dealer_id": item.dealer_id,
                "acquisition_date": item.purchase.acquisition_date,
            }
            for item in items
        ],
        "dealers": [
            {
                "id": dealer.id,
                "name": dealer.name,
                "municipality": dealer.municipality.code if dealer.municipality else None,
                "city": dealer.city,
            }
            for dealer in dealers.values()
        ],
    }
