"""Stop Heling: the police database of goods reported stolen.

This package knows nothing of the register or of notifications. It declares its models on
its own declarative base and is handed the database session by the application.
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


def init_app(app, *, session, require_role, require_web_role) -> None:
    """Hand the package the application's session and authorisation decorators.

    ``session`` is the application's scoped session; ``require_role(*roles)`` (API, bearer
    token) and ``require_web_role(*roles)`` (web, login session) are the application's
    authorisation decorators: the police system has no accounts of its own. The blueprints in
    ``stolen_db.api`` and ``stolen_db.views`` are registered by the application.
    """
    app.extensions["stolen_db"] = {
        "session": session,
        "require_role": require_role,
        "require_web_role": require_web_role,
    }
    from . import models  # noqa: F401  (registers the tables on Base.metadata)
