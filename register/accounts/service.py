"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from stolen_db.lookup import fetch_all

from ..dealers.models import Dealer, Municipality
from ..purchases.messages import Message
from ..timeutil import aware
from .models import ROLE_VALUES, ApiToken, Role, User

TOKEN_PREFIX = "drt_"  # noqa: S105 - a prefix that makes leaked tokens easy to spot
# A valid hash to compare against when the email is unknown, so a failed login takes as long
# whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A rule about accounts was broken; the message says which."""


def hash_password(password: str) -> str:
    # Werkzeug's default is scrypt, a memory-hard modern algorithm.
    return generate_password_hash(password)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    now: datetime,
    dealer_id: int | None = None,
    municipality_id: int | None = None,
) -> User:
    email = email.strip().lower()
    if role not in ROLE_VALUES:
        raise AccountError(Message("role must be one of %(roles)s", roles=", ".join(ROLE_VALUES)))
    if "@" not in email:
        raise AccountError(Message("email must be an e-mail address"))
    if len(password) < 8:
        raise AccountError(Message("password must be at least 8 characters"))
    if role == Role.DEALER and dealer_id is None:
        raise AccountError(Message("a dealer user needs --dealer"))
    if role != Role.DEALER and dealer_id is not None:
        raise AccountError(Message("only dealer users belong to a dealer"))
    if role == Role.MUNICIPALITY and municipality_id is None:
        raise AccountError(Message("a municipality user needs --municipality"))
    if role in (Role.POLICE, Role.ADMIN, Role.DEALER) and municipality_id is not None:
        raise AccountError(Message("a %(role)s user has no municipality scope", role=role))
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(Message("a user with email %(email)s exists already", email=email))
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        dealer_id=dealer_id,
        municipality_id=municipality_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    lifetime: timedelta | None,
    label: str | None = None,
) -> str:
    """A new bearer token for ``user``; only its hash is stored. None lifetime: long-lived."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_hash_token(token),
            kind="long_lived" if lifetime is None else "access",
            label=label,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
        )
    )
    session.flush()
    return token


class TokenUser(SimpleNamespace):
    """The user behind an API token as the request found it: ``id``, ``role``,
    ``dealer_id``, ``municipality_id`` and, for a dealer's user, ``dealer``: the dealer's
    columns with its ``municipality``'s, plain values (as ``SimpleNamespace``), not models.

    Every API request asks for it, so it is one statement on the bare driver: loading the
    user, the dealer and its municipality as models cost more than the query itself
    (``docs/performance.md`` items 36 and 38); what needs a dealer model loads one
    (``session.get``)."""


_USER_COLUMNS = [User.__table__.c[name] for name in
                 ("id", "role", "dealer_id", "municipality_id", "is_active_account")]  # fmt: skip
_DEALER_COLUMNS = list(Dealer.__table__.columns)
_MUNICIPALITY_COLUMNS = list(Municipality.__table__.columns)
_SELECTED = [*_USER_COLUMNS, ApiToken.__table__.c.expires_at, *_DEALER_COLUMNS,
             *_MUNICIPALITY_COLUMNS]  # fmt: skip


def _names(alias: str, columns) -> str:
    return ", ".join(f"{alias}.{column.name}" for column in columns)


# The token's user, with the dealer and its municipality of a dealer's user.
_USER_OF_TOKEN = (
    f"SELECT {_names('u', _USER_COLUMNS)}, t.expires_at, {_names('d', _DEALER_COLUMNS)}, "  # noqa: S608
    f"{_names('m', _MUNICIPALITY_COLUMNS)} FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "LEFT JOIN dealers d ON d.id = u.dealer_id "
    "LEFT JOIN municipalities m ON m.id = d.municipality_id "
    "WHERE t.token_hash = ? AND t.revoked_at IS NULL"
)


@lru_cache(maxsize=8)
def _conversions(dialect: Dialect) -> list[tuple[int, Callable]]:
    """SQLAlchemy's conversion of each selected column's value from the driver, where it
    has one (SQLite's dates come as text, its booleans as integers)."""
    return [
        (position, convert)
        for position, column in enumerate(_SELECTED)
        if (convert := column.type.dialect_impl(dialect).result_processor(dialect, None))
    ]


def user_for_token(session: Session, token: str, *, now: datetime) -> TokenUser | None:
    """The active user behind a valid (known, not revoked, not expired) token, or None."""
    session.flush()  # as the session's own queries do: a revocation not flushed yet counts
    rows = fetch_all(session, _USER_OF_TOKEN, [_hash_token(token)])
    if not rows:
        return None
    row = list(rows[0])
    for position, convert in _conversions(session.get_bind().dialect):
        row[position] = convert(row[position])
    user_id, role, dealer_id, municipality_id, is_active, expires_at = row[:6]
    if not is_active or (expires_at is not None and aware(expires_at) <= now):
        return None
    dealer = None
    if dealer_id is not None:
        split = 6 + len(_DEALER_COLUMNS)
        dealer = SimpleNamespace(
            **{column.key: value for column, value in zip(_DEALER_COLUMNS, row[6:split],
                                                           strict=True)})  # fmt: skip
        dealer.municipality = SimpleNamespace(
            **{column.key: value for column, value in zip(_MUNICIPALITY_COLUMNS, row[split:],
                                                           strict=True)})  # fmt: skip
    return TokenUser(
        id=user_id, role=role, dealer_id=dealer_id, municipality_id=municipality_id, dealer=dealer
    )


def revoke_tokens(session: Session, user: User, *, now: datetime) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)
