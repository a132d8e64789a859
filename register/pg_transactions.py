"""PostgreSQL: a transaction's ``BEGIN`` travels with its first statement.

psycopg, outside its autocommit mode, starts each transaction by sending ``BEGIN`` on its
own and waiting for the answer, before the transaction's first statement: a round trip that
carries nothing (in its pipeline mode too, where it ends the pipeline's batch to do so). A
registration takes five round trips, so that is a fifth of its waiting for the server.

Here the connection is in psycopg's autocommit mode and this module sends the ``BEGIN``:
when SQLAlchemy begins a transaction it is only noted, and the transaction's first
statement queues it in a pipeline before itself, so both go in one round trip. psycopg's
``commit()`` and ``rollback()`` go by the server's transaction status, not by the mode:
SQLAlchemy's transaction handling (the session's commit and rollback, the pool's rollback
at check-in) works as before, and a transaction that ran no statement sends nothing at all.
A connection that SQLAlchemy runs in its ``AUTOCOMMIT`` isolation level gets no ``BEGIN``; a
server-side cursor (``stream_results``), which cannot run in a pipeline, sends it on its own
first, as psycopg would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from stolen_db.lookup import in_pipeline

# Set on a psycopg connection from the SQLAlchemy transaction's begin until its first
# statement (or its end, when it ran none).
_PENDING = "_register_begin_pending"


class BeginningCursor(psycopg.Cursor):
    """A cursor whose first statement in a transaction sends the pending ``BEGIN`` with it."""

    def execute(self, query, params=None, **kwargs):
        if not _take_pending(self.connection):
            return super().execute(query, params, **kwargs)
        with _begun(self.connection):
            return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        if not _take_pending(self.connection):
            return super().executemany(query, params_seq, **kwargs)
        with _begun(self.connection):
            return super().executemany(query, params_seq, **kwargs)

    # COPY and row-by-row streaming cannot run in a pipeline: the BEGIN goes on its own first.
    def copy(self, statement, params=None, **kwargs):
        _begin_alone(self.connection)
        return super().copy(statement, params, **kwargs)

    def stream(self, query, params=None, **kwargs):
        _begin_alone(self.connection)
        return super().stream(query, params, **kwargs)


class BeginningServerCursor(psycopg.ServerCursor):
    """A server-side cursor (SQLAlchemy's ``stream_results``, ``yield_per``) as the first
    statement of a transaction: it needs the transaction open (``DECLARE``) and cannot run
    in a pipeline, so the pending ``BEGIN`` goes first on its own, as psycopg sends it."""

    def execute(self, query, params=None, **kwargs):
        _begin_alone(self.connection)
        return super().execute(query, params, **kwargs)


def _begin_alone(connection: psycopg.Connection) -> None:
    """Send a pending ``BEGIN`` by itself (a round trip, as psycopg does)."""
    if _take_pending(connection):
        connection.execute(b"BEGIN")


def _take_pending(connection: psycopg.Connection) -> bool:
    if not getattr(connection, _PENDING, False):
        return False
    setattr(connection, _PENDING, False)
    return True


@contextmanager
def _begun(connection: psycopg.Connection) -> Iterator[None]:
    """Queue ``BEGIN`` and, inside, the statement that follows it: in the pipeline already
    open, or in one of their own that ends (one round trip) when the block does."""
    with nullcontext() if in_pipeline(connection) else connection.pipeline():
        connection.execute(b"BEGIN")  # autocommit mode: queued as it is, no sync
        yield


def begin_with_first_statement(engine: Engine) -> None:
    """Install on ``engine`` (PostgreSQL with psycopg; others are left as they are). The
    engine must make its connections with ``BeginningCursor`` (``connect_args``)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection, _record):
        # Only where this module's cursor will send the BEGIN: otherwise psycopg does.
        if _sends_begin(dbapi_connection):
            dbapi_connection.server_cursor_factory = BeginningServerCursor
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "checkout")
    def _still_autocommit(dbapi_connection, _record, _proxy):
        # SQLAlchemy takes a connection out of autocommit when it resets an isolation
        # level changed for a while (``execution_options(isolation_level=...)``).
        if not dbapi_connection.autocommit and _sends_begin(dbapi_connection):
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _note_begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        # Out of autocommit (an isolation level of its own), psycopg sends its own BEGIN.
        if dbapi_connection.autocommit and _isolation_level(connection) != "AUTOCOMMIT":
            setattr(dbapi_connection, _PENDING, True)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget_begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None:
            setattr(dbapi_connection, _PENDING, False)

    @event.listens_for(engine, "checkin")
    def _forget_on_return(dbapi_connection, _record):
        if dbapi_connection is not None:
            setattr(dbapi_connection, _PENDING, False)


def _sends_begin(dbapi_connection) -> bool:
    factory = getattr(dbapi_connection, "cursor_factory", None)
    return isinstance(factory, type) and issubclass(factory, BeginningCursor)


def _isolation_level(connection) -> str | None:
    """The isolation level asked of SQLAlchemy for this connection, without asking the
    server (``Connection.get_isolation_level`` does)."""
    return connection.get_execution_options().get("isolation_level")
