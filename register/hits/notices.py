"""Mail a dealer hears of police holds: its items went on hold, or the police decided on one.

The mails name only the dealer's own entries and items (the entry's sequence number, the
item's description and identifiers as the dealer typed them) and where to look; never the
theft report, its number, its victim or its reporter. Each goes to the dealer's active
accounts, in each account's language, through the outbox in the transaction that put the
items on hold or decided on them: a transaction that rolls back sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..mailing import external_url, queue_mail
from ..purchases.models import Item

# Rendered in the recipient's language when the mail is (``mailing.render_mail``).
IDENTIFIER_LABELS = (("imei", _l("IMEI")), ("serial_number", _l("serial number")),
                     ("frame_number", _l("frame number")))  # fmt: skip


def _dealer_accounts(session: Session, dealer_ids) -> dict[int, list[User]]:
    """The active accounts of each of the dealers, in one query."""
    accounts: dict[int, list[User]] = {dealer_id: [] for dealer_id in dealer_ids}
    for user in session.scalars(
        select(User)
        .where(User.dealer_id.in_(sorted(accounts)), User.is_active_account.is_(True))
        .order_by(User.id)
    ):
        accounts[user.dealer_id].append(user)
    return accounts


_SHOWN = ("category", "brand", "model", "description", "imei", "serial_number", "frame_number")


def _as_the_entry_says_now(item: Item) -> dict:
    """The item's fields as the dealer typed them, with the entry's corrections applied (a
    corrected identifier is often the one that matched)."""
    values = {name: getattr(item, name) for name in _SHOWN}
    for correction in item.purchase.corrections:
        for change in correction.changes.get("items", []):
            if change.get("id") == item.id:
                values.update({k: v for k, v in change.items() if k in values})
    return values


def _item_lines(items: Sequence[Item]) -> list[dict]:
    """What a mail says of each item: its entry, what it is, its identifiers, its page."""
    lines = []
    for item in sorted(items, key=lambda item: (item.purchase.sequence_number, item.position)):
        values = _as_the_entry_says_now(item)
        what = " ".join(values[name] for name in ("brand", "model", "description") if values[name])
        lines.append(
            {
                "sequence_number": item.purchase.sequence_number,
                "what": what or values["category"],
                "identifiers": [
                    (label, values[name]) for name, label in IDENTIFIER_LABELS if values[name]
                ],
                "link": external_url("purchases_web.purchase_detail", purchase_id=item.purchase_id),
            }
        )
    return lines


def mail_holds(
    session: Session, items: Sequence[Item], *, first_hit_id: int, now: datetime
) -> None:
    """Tell each dealer whose items went on police hold in this transaction: one mail per
    account of the dealer listing all of them. The dedupe key names the transaction's first
    new hit, so the same holds are never mailed twice."""
    by_dealer: dict[int, list[Item]] = {}
    for item in items:
        by_dealer.setdefault(item.dealer_id, []).append(item)
    accounts = _dealer_accounts(session, by_dealer)
    for dealer_id, held in sorted(by_dealer.items()):
        lines = _item_lines(held)
        for user in accounts[dealer_id]:
            queue_mail(
                session,
                to=user.email,
                template="police_hold",
                language=user.language,
                now=now,
                dedupe_key=f"mail:police-hold:{first_hit_id}:{dealer_id}:{user.id}",
                items=lines,
            )


def mail_decision(
    session: Session, item: Item, decision: str, *, decision_id: int, now: datetime
) -> None:
    """Tell the item's dealer that the police released or seized it (without the police's
    note, which may speak of the theft). ``decision_id`` (the decision's audit entry) keys
    the mail: an item may be held and released more than once."""
    lines = _item_lines([item])
    for user in _dealer_accounts(session, [item.dealer_id])[item.dealer_id]:
        queue_mail(
            session,
            to=user.email,
            template=f"police_{decision}",
            language=user.language,
            now=now,
            dedupe_key=f"mail:police-decision:{decision_id}:{user.id}",
            items=lines,
        )
