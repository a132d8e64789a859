"""A dealer's DOL sign-up with a confirmed address: the start report reaches the
municipality only once the mailed link is followed.

Signing up checks everything the sign-up will do (in a savepoint it rolls back), keeps the
sign-up with a one-time link and mails the link. Whether the address has an account already
is never said: such a sign-up gets the same answer and mails nothing.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dealers.meldplicht_service import Business, register_new_dealer
from ..dealers.service import DealerError
from ..mailing import external_url, queue_mail
from .links import _expires_text, new_link, use_link, valid_link
from .models import User
from .service import WeakPassword, hash_password, require_strong_password


def start_signup(
    session: Session,
    *,
    email: str,
    password: str,
    kind: str,
    effective_date: date,
    municipality_code: str,
    business: Business,
    now: datetime,
    language: str = "nl",
) -> None:
    """Check the sign-up and mail its confirmation link; DealerError naming the field for
    bad input (never for an address that has an account: then nothing happens)."""
    address = (email or "").strip().lower()
    # Before the address is looked up: a weak password is refused whether or not the
    # address has an account, so the answer does not tell.
    try:
        require_strong_password(password, email=address, names=(business.name,))
    except WeakPassword as exc:
        raise DealerError(exc.args[0], exc.field) from None
    if session.scalar(select(User.id).where(func.lower(User.email) == address)) is not None:
        return
    savepoint = session.begin_nested()
    try:  # every rule of the sign-up, with nothing kept
        register_new_dealer(session, email=address, password=password, kind=kind,
                            effective_date=effective_date, municipality_code=municipality_code,
                            business=business, now=now)  # fmt: skip
    finally:
        savepoint.rollback()
    data = {
        "email": address,
        "password_hash": hash_password(password),
        "kind": kind,
        "effective_date": effective_date.isoformat(),
        "municipality_code": municipality_code,
        "business": dataclasses.asdict(business),
        "language": language,
    }
    link, token = new_link(session, "signup", now=now, data=data)
    queue_mail(
        session,
        to=address,
        template="signup_confirmation",
        language=language,
        now=now,
        dedupe_key=f"link:{link.id}",
        expires=_expires_text(link, language),
        link=external_url("dealers_web.confirm_signup", token=token),
        business=business.name,
    )


def confirm_signup(session: Session, token: str, *, now: datetime):
    """Follow a confirmation link: the dealer (pending), its account and the start report
    are made, as ``register_new_dealer`` does. None when the link is not (or no longer)
    valid, or its address has an account by now."""
    link = valid_link(session, "signup", token, now=now)
    if link is None or not use_link(session, link, now=now):
        return None
    data = link.data
    if session.scalar(select(User.id).where(func.lower(User.email) == data["email"])):
        return None
    dealer, user, report = register_new_dealer(
        session,
        email=data["email"],
        password=secrets.token_urlsafe(32),  # replaced by the one chosen at sign-up
        kind=data["kind"],
        effective_date=date.fromisoformat(data["effective_date"]),
        municipality_code=data["municipality_code"],
        business=Business(**data["business"]),
        now=now,
    )
    user.password_hash = data["password_hash"]
    user.language = data.get("language") or "nl"
    session.flush()
    return dealer, user, report
