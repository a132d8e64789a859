"""The outbox: events with a type and a JSON payload, and their delivery as signed webhooks.

This package knows nothing of the register. Register code enqueues events in its own
transaction; the worker process delivers them.
"""

from __future__ import annotations

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


def init_app(app, *, session, require_web_role) -> None:
    """Remember the application's session and web authorisation decorator."""
    app.extensions["notifications"] = {"session": session, "require_web_role": require_web_role}
    from . import models  # noqa: F401  (registers the tables on Base.metadata)
