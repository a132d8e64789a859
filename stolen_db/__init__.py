"""Stop Heling: the police database of goods reported stolen.

This package knows nothing of the register or of notifications. It declares its models on
its own declarative base and is handed the database session, the authorisation decorators,
the clock, the rate limiter and the matcher of registered goods by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _system_now() -> datetime:
    return datetime.now(UTC)


def init_app(
    app,
    *,
    session,
    require_role,
    require_web_role,
    find_registered_matches: Callable | None = None,
    limiter=None,
    now: Callable[[], datetime] | None = None,
) -> None:
    """Hand the package what it needs from the application.

    - ``session``: the application's scoped session.
    - ``require_role(*roles)`` (API, bearer token) and ``require_web_role(*roles)`` (web,
      login session): the application's authorisation decorators; the police system has no
      accounts of its own.
    - ``find_registered_matches(session, reports, now) -> int``: matches new theft reports
      (``StolenReport``s or ``stolen_db.service.ReportRef``s) against the goods registered
      by dealers, records every match as a hit in the caller's transaction and returns how
      many (retroactive matching). Without it, none.
    - ``limiter``: the application's Flask-Limiter; the public check is rate-limited per
      client with the ``RATELIMIT_PUBLIC_CHECK`` limit. Without it, no limit.
    - ``now()``: the application's clock (UTC); the system clock by default.

    The blueprints in ``stolen_db.api`` and ``stolen_db.views`` are registered by the
    application.
    """
    from .ratelimit import public_check_limit_for

    app.extensions["stolen_db"] = {
        "session": session,
        "require_role": require_role,
        "require_web_role": require_web_role,
        "find_registered_matches": find_registered_matches,
        "public_check_limit": public_check_limit_for(limiter) if limiter is not None else None,
        "now": now or _system_now,
    }
    from . import models  # noqa: F401  (registers the tables on Base.metadata)
