"""One-time links mailed to people: invitations, password resets, sign-up confirmations.

A link's token is random; only its SHA-256 hash is stored. It works until it expires and
only once: using it marks it used in the same transaction as what it does.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_datetime
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..clock import aware
from ..mailing import external_url, queue_mail
from .models import OneTimeLink, User
from .service import set_password

LIFETIME_KEYS = {
    "invitation": "INVITATION_LIFETIME_HOURS",
    "password_reset": "PASSWORD_RESET_LIFETIME_HOURS",
    "signup": "SIGNUP_CONFIRMATION_LIFETIME_HOURS",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(
    session: Session,
    purpose: str,
    *,
    now: datetime,
    user: User | None = None,
    data: dict | None = None,
) -> tuple[OneTimeLink, str]:
    """A new link for ``purpose``; its token (for the mail) and its row."""
    token = secrets.token_urlsafe(32)
    hours = float(current_app.config[LIFETIME_KEYS[purpose]])
    link = OneTimeLink(
        user_id=None if user is None else user.id,
        purpose=purpose,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        data=data,
    )
    session.add(link)
    session.flush()
    return link, token


def valid_link(session: Session, purpose: str, token: str, *, now: datetime) -> OneTimeLink | None:
    """The unused, unexpired link of ``purpose`` with ``token``, or None."""
    link = session.scalar(
        select(OneTimeLink).where(
            OneTimeLink.token_hash == _hash(token or ""), OneTimeLink.purpose == purpose
        )
    )
    if link is None or link.used_at is not None or aware(link.expires_at) <= now:
        return None
    return link


def use_link(session: Session, link: OneTimeLink, *, now: datetime) -> bool:
    """Mark the link used; False when another request used it first (compare and set)."""
    result = session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def set_password_with_link(
    session: Session, purpose: str, token: str, password: str, *, now: datetime
) -> User | None:
    """Set the password of the link's account and use the link up; None when the link is
    not (or no longer) valid, ``WeakPassword`` (the link still unused) when the policy
    refuses the password. Ends the account's other sessions."""
    link = valid_link(session, purpose, token, now=now)
    if link is None or link.user is None:
        return None
    user = link.user
    set_password(user, password)
    if not use_link(session, link, now=now):
        return None
    session.flush()
    return user


def _expires_text(link: OneTimeLink, language: str) -> str:
    with force_locale(language):
        return format_datetime(aware(link.expires_at), "d MMMM yyyy HH:mm")


def mail_invitation(session: Session, user: User, *, now: datetime) -> OneTimeLink:
    """Mail ``user`` a one-time link (72 hours by default) to choose a password."""
    link, token = new_link(session, "invitation", now=now, user=user)
    language = user.language or "nl"
    queue_mail(
        session,
        to=user.email,
        template="invitation",
        language=language,
        now=now,
        dedupe_key=f"link:{link.id}",
        role=user.role,
        expires=_expires_text(link, language),
        link=external_url("password.invitation", token=token),
    )
    return link


def mail_password_reset(session: Session, user: User, *, now: datetime) -> OneTimeLink:
    """Mail ``user`` a one-time link to choose a new password."""
    link, token = new_link(session, "password_reset", now=now, user=user)
    language = user.language or "nl"
    queue_mail(
        session,
        to=user.email,
        template="password_reset",
        language=language,
        now=now,
        dedupe_key=f"link:{link.id}",
        expires=_expires_text(link, language),
        link=external_url("password.reset", token=token),
    )
    return link
