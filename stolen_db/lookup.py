"""Plain SQL on the session's own connection, for the lookups on the hot path.

A public check or an item check is one or two indexed point lookups; through the ORM or
SQLAlchemy Core, building and executing the statement costs several times the lookup
itself. These helpers run fixed SQL text on the DBAPI connection of the session's current
transaction (so they see everything the session flushed and take part in its commit), with
the placeholder style of the database driver. They read; writing goes through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.orm import Session, scoped_session


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


def one_of(expression: str, count: int | None, array_type: str = "bigint") -> str:
    """SQL for ``expression`` equal to one of several values (``one_of_args``): ``IN (?,
    ?, ...)`` for ``count`` values, a parameter each; with ``count`` None, ``= ANY(?::type[])``
    with the values in one array parameter (PostgreSQL, ``takes_arrays``). That text does
    not change with the number of values, so the server plans it once per connection
    (psycopg prepares a statement from its fifth run) instead of parsing and planning
    every lookup again."""
    if count is None:
        return f"{expression} = ANY(?::{array_type}[])"
    return f"{expression} IN ({placeholders(count)})"


def one_of_args(values: Sequence, arrays: bool) -> tuple[int | None, list]:
    """The ``count`` to build a ``one_of`` with for ``values`` and its parameters; ``arrays``:
    ``takes_arrays`` (one array parameter, count None)."""
    values = list(values)
    if not arrays:
        return len(values), values
    if values and isinstance(values[0], int):
        return None, [integer_array(values)]
    return None, [values]


def integer_array(values: Sequence[int]) -> str:
    """PostgreSQL's text form of an array of integers, ``{1,2,3}``, for a ``?::bigint[]``:
    one text parameter, which psycopg passes on without adapting each element."""
    return "{" + ",".join(map(str, values)) + "}"


def takes_arrays(session: Session) -> bool:
    """Whether ``one_of`` should pass an array here: PostgreSQL has arrays, SQLite not."""
    return _driver(session)[1] != "qmark"


# session.info key: (transaction, execute, paramstyle)
_DRIVER = "stolen_db.lookup.driver"


def _driver(session: Session):
    """The DBAPI connection's ``execute`` (or a cursor maker) of the session's current
    transaction and the driver's placeholder style; remembered for that transaction, so
    that a point lookup does not pay for finding the connection again."""
    if isinstance(session, scoped_session):
        session = session()  # the thread's Session
    transaction = session.get_transaction()
    cached = session.info.get(_DRIVER)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1], cached[2]
    connection = session.connection()
    driver = connection.connection.driver_connection
    execute = getattr(driver, "execute", None)  # sqlite3 and psycopg: cursor and run in one
    if execute is None:

        def execute(sql, params):
            cursor = driver.cursor()
            cursor.execute(sql, params)
            return cursor

    paramstyle = connection.dialect.paramstyle
    session.info[_DRIVER] = (session.get_transaction(), execute, paramstyle)
    return execute, paramstyle


def fetch_all(session: Session, sql: str, params: Sequence) -> list[tuple]:
    """Rows of ``sql`` (``?`` placeholders) in the session's transaction."""
    execute, paramstyle = _driver(session)
    if paramstyle != "qmark":
        sql = _for_paramstyle(sql, paramstyle)
    return execute(sql, tuple(params)).fetchall()
