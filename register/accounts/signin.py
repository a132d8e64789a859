"""Signing in with an e-mail address and a password, slowed down per account.

After ``SIGN_IN_SLOWDOWN_AFTER`` failures in a row for one address, each further attempt
within a growing delay is refused without looking at the password, with the answer a wrong
password gets. The count lives in the database, so it holds across web processes, and is
kept per address whether or not it has an account. The owner of the account is mailed once,
when the slowdown starts. A failed sign-in's request answers 400 or more, so its view keeps
the transaction (``transactions.keep``): the count and the mail must be stored all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from ..clock import aware
from ..database import upsert_insert
from ..mailing import external_url, queue_mail
from .models import SignInFailures, User
from .service import authenticate


@dataclass(frozen=True)
class SignInResult:
    """The account signed in, or None; ``retry_in`` is set while the address is slowed down
    (then even the right password is refused)."""

    user: User | None
    retry_in: timedelta | None = None

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_in.total_seconds() / 60)) if self.retry_in else 0


def _address(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def slowdown(failures: int, config) -> timedelta:
    """How long an address with ``failures`` in a row waits before its next attempt."""
    threshold = int(config["SIGN_IN_SLOWDOWN_AFTER"])
    if failures < threshold:
        return timedelta(0)
    seconds = float(config["SIGN_IN_SLOWDOWN_BASE_SECONDS"]) * 2 ** min(failures - threshold, 30)
    return timedelta(seconds=min(seconds, float(config["SIGN_IN_SLOWDOWN_MAX_SECONDS"])))


def _wait_left(row: SignInFailures | None, now: datetime, config) -> timedelta | None:
    if row is None:
        return None
    left = aware(row.last_failed_at) + slowdown(row.failures, config) - now
    return left if left > timedelta(0) else None


def _forgotten_before(now: datetime, config) -> datetime:
    """Failures older than this count no more: the next one starts again at 1."""
    return now - timedelta(hours=float(config["SIGN_IN_FAILURES_FORGOTTEN_AFTER_HOURS"]))


def forget_old_failures(session: Session, now: datetime) -> int:
    """Housekeeping: remove the counts that no longer count (flushes, never commits), so the
    table holds only the addresses that failed recently."""
    forgotten = _forgotten_before(now, current_app.config)
    result = session.execute(
        delete(SignInFailures).where(SignInFailures.last_failed_at < forgotten)
    )
    return result.rowcount or 0


def _count_failure(session: Session, address: str, now: datetime, config) -> int:
    """Add one failure for ``address`` in one statement (two processes failing at once both
    count) and return the count; a count whose last failure is old starts again at 1."""
    forgotten = _forgotten_before(now, config)
    table = SignInFailures.__table__
    statement = upsert_insert(session, table).values(email=address, failures=1, last_failed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.email],
        set_={
            "failures": case((table.c.last_failed_at < forgotten, 1), else_=table.c.failures + 1),
            "last_failed_at": now,
        },
    ).returning(table.c.failures)
    return session.execute(statement).scalar_one()


def sign_in(session: Session, email: str, password: str, *, now: datetime) -> SignInResult:
    """Check the address and password, counting a failure (flushes, never commits)."""
    config = current_app.config
    address = _address(email)
    row = session.get(SignInFailures, address)
    wait = _wait_left(row, now, config)
    if wait is not None:
        return SignInResult(None, wait)
    user = authenticate(session, address, password)
    if user is not None:
        if row is not None:
            session.execute(delete(SignInFailures).where(SignInFailures.email == address))
        return SignInResult(user)
    failures = _count_failure(session, address, now, config)
    if failures == int(config["SIGN_IN_SLOWDOWN_AFTER"]):
        _mail_owner(session, address, failures, now=now)
    wait = slowdown(failures, config)
    return SignInResult(None, wait or None)


def _mail_owner(session: Session, address: str, failures: int, *, now: datetime) -> None:
    """Tell the account's owner (if the address has an active account) about the failures."""
    user = session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None or not user.is_active:
        return
    queue_mail(
        session,
        to=user.email,
        template="sign_in_failures",
        language=user.language,
        now=now,
        failures=failures,
        link=external_url("password.forgot"),
    )
