"""Plain SQL on the session's own connection, for the lookups on the hot path.

A public check or an item check is one or two indexed point lookups; through the ORM or
SQLAlchemy Core, building and executing the statement costs several times the lookup
itself. These helpers run fixed SQL text on the DBAPI connection of the session's current
transaction (so they see everything the session flushed and take part in its commit), with
the placeholder style of the database driver. They read; all writing goes through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.orm import Session


@lru_cache(maxsize=256)
def _for_paramstyle(sql: str, paramstyle: str) -> str:
    """The SQL written with ``?`` placeholders, in the driver's placeholder style."""
    if paramstyle == "qmark":
        return sql
    return sql.replace("?", "%s")  # format / pyformat (psycopg)


@lru_cache(maxsize=64)
def placeholders(count: int) -> str:
    """'?, ?, ?' for an IN list of ``count`` values."""
    return ", ".join("?" * count)


def fetch_all(session: Session, sql: str, params: Sequence) -> list[tuple]:
    """Rows of ``sql`` (``?`` placeholders) in the session's transaction."""
    connection = session.connection()
    sql = _for_paramstyle(sql, connection.dialect.paramstyle)
    driver = connection.connection.driver_connection
    execute = getattr(driver, "execute", None)
    if execute is not None:  # sqlite3 and psycopg: a cursor made and run in one call
        return execute(sql, tuple(params)).fetchall()
    cursor = driver.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return cursor.fetchall()
    finally:
        cursor.close()
