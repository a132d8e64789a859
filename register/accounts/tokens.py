"""A user's own long-lived API tokens: named, created (shown once), listed with last use,
revoked. Only the token's SHA-256 hash is stored (``service.issue_token``)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import after_this_request, g, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..clock import utcnow
from .models import ApiToken
from .service import _hash_token, issue_token

LONG_LIVED = "long_lived"
# A token's last use is written at most this often per process: a busy till does not turn
# every request into a write.
LAST_USE_GRANULARITY = timedelta(minutes=1)

_touched: dict[str, datetime] = {}
_touched_lock = threading.Lock()


def create_long_lived_token(session: Session, user, name: str, *, now: datetime):
    """A new named token of ``user``: the stored row and the token itself (shown once)."""
    token = issue_token(session, user, now=now, lifetime=None, label=name)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    return row, token


def own_tokens(user_id: int):
    """The statement of a user's long-lived tokens that are not revoked, newest first."""
    return (
        select(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.kind == LONG_LIVED,
            ApiToken.revoked_at.is_(None),
        )
        .order_by(ApiToken.id.desc())
    )


def revoke_own_token(session: Session, user_id: int, token_id: int, *, now: datetime) -> bool:
    """Revoke one of the user's own long-lived tokens; False when it has no such token."""
    token = session.scalar(own_tokens(user_id).where(ApiToken.id == token_id))
    if token is None:
        return False
    token.revoked_at = now
    session.flush()
    return True


def _bearer_hash() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return _hash_token(token.strip())


def use_due() -> bool:
    """Whether this request is to record its bearer token's last use: it has one, and this
    process has not written that token's use in the last ``LAST_USE_GRANULARITY``.

    Decided once per request and kept, so that the database layer, which asks when the
    request's transaction begins (on SQLite a read that will write takes the write lock
    then: ``database.configure_sqlite``), and ``note_use`` agree."""
    if "token_use_due" not in g:
        token_hash, now = _bearer_hash(), utcnow()
        with _touched_lock:
            last = None if token_hash is None else _touched.get(token_hash)
        g.token_use_due = token_hash is not None and (
            last is None or abs(now - last) >= LAST_USE_GRANULARITY
        )
    return g.token_use_due


def note_use(session: Session, token: str, *, now: datetime) -> None:
    """Record at the end of this request that ``token`` (its bearer token) was used now, in
    the request's own transaction, when ``use_due``: at most once per
    ``LAST_USE_GRANULARITY`` per process, so that a busy till does not turn every read into
    a write.

    Written only for answers below 400 (others roll back). Reads write it too: on SQLite
    such a read began its transaction with the write lock, as one that states a purpose
    does, so the UPDATE never finds the database changed under its snapshot."""
    token_hash = _hash_token(token)
    if token_hash != _bearer_hash() or not use_due():
        return

    @after_this_request
    def _write(response):
        if response.status_code < 400:
            with _touched_lock:
                if len(_touched) > 10_000:
                    _touched.clear()
                _touched[token_hash] = now
            session.execute(
                update(ApiToken).where(ApiToken.token_hash == token_hash).values(last_used_at=now),
                execution_options={"synchronize_session": False},
            )
        return response
