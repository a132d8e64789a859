"""A user's own long-lived API tokens: named, created (shown once), listed with last use,
revoked. Only the token's SHA-256 hash is stored (``service.issue_token``)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

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


def note_use(session: Session, token: str, *, now: datetime) -> None:
    """Record at the end of this request that ``token`` was used now, in the request's own
    transaction (at most once per ``LAST_USE_GRANULARITY`` per process).

    Written only for answers below 400 (others roll back), and on SQLite only by requests
    that write anyway: there an UPDATE takes the database's single write lock, and a read
    must never wait for it."""
    from flask import after_this_request, request

    token_hash = _hash_token(token)
    if session.get_bind().dialect.name == "sqlite" and request.method in ("GET", "HEAD"):
        return
    with _touched_lock:
        last = _touched.get(token_hash)
        if last is not None and abs(now - last) < LAST_USE_GRANULARITY:
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
