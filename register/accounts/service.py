"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import aware
from ..purchases.messages import Message
from .models import ROLE_VALUES, ApiToken, Role, User
from .passwords import password_problem
from .sessions import end_sessions

TOKEN_PREFIX = "drt_"  # noqa: S105 - a prefix that makes leaked tokens easy to spot
# A valid hash to compare against when the email is unknown, so a failed login takes as long
# whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A rule about accounts was broken; the message says which."""


class WeakPassword(AccountError):
    """A password the policy refuses (``passwords.password_problem``); ``field`` names the
    form or API field it came in."""

    field = "password"


def require_strong_password(
    password: str, *, email: str | None = None, names: Iterable[str | None] = ()
) -> None:
    """Refuse, with the reason, a password the policy does not accept for this account."""
    problem = password_problem(password, email=email, names=names)
    if problem is not None:
        raise WeakPassword(problem)


def hash_password(password: str) -> str:
    # Werkzeug's default is scrypt, a memory-hard modern algorithm.
    return generate_password_hash(password)


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password the policy accepts (``WeakPassword`` otherwise) and end
    the account's web sessions, copied cookies included."""
    require_strong_password(password, email=user.email)
    user.password_hash = hash_password(password)
    end_sessions(user)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    now: datetime,
    dealer_id: int | None = None,
    municipality_id: int | None = None,
    names: Iterable[str | None] = (),
    check_password: bool = True,
) -> User:
    """A new account (flushed). Its password must pass the policy, except where
    ``check_password`` is False: only for fixture data with documented credentials (the
    demo data's ``demo-password``), never for a password a person chose."""
    email = email.strip().lower()
    if role not in ROLE_VALUES:
        raise AccountError(Message("role must be one of %(roles)s", roles=", ".join(ROLE_VALUES)))
    if "@" not in email:
        raise AccountError(Message("email must be an e-mail address"))
    if check_password:
        require_strong_password(password, email=email, names=names)
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


def user_for_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user behind a valid (known, not revoked, not expired) token, or None."""
    api_token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if api_token is None:
        return None
    if api_token.expires_at is not None and aware(api_token.expires_at) <= now:
        return None
    user = api_token.user
    return user if user.is_active else None


def revoke_tokens(session: Session, user: User, *, now: datetime) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    end_sessions(user)  # and its web sessions
    return len(tokens)
