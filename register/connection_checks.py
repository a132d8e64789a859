"""Pooled PostgreSQL connections checked before a request uses them, without a round trip
where it can be known that they are alive.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` each time a connection leaves the pool:
one more round trip to the server for every request, and under load its wait is a tenth
of a registration's time in the web process. But a connection that went back to the pool
a moment ago, and that the server has not written to since, is alive: an idle PostgreSQL
server writes to a connection only to end it (a restart, a failover, an administrator
terminating the backend sends an error and closes the socket). So a connection is pinged
only when

- it was idle for longer than ``idle_seconds`` (the network may have dropped it without a
  word: a firewall, a vanished host), or
- its socket has something to read (the server's goodbye, or the socket was closed).

A dead connection makes the pool connect again (``DisconnectionError``): a restart costs
no failed request. The idle window is HikariCP's ``aliveBypassWindowMs`` idea, with its
default of half a second.
"""

from __future__ import annotations

import select
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SECONDS = 0.5
_RETURNED_AT = "register.returned_at"  # connection record info key: monotonic seconds


def check_connections(engine: Engine, *, idle_seconds: float = IDLE_SECONDS) -> None:
    """Install the checks on ``engine``'s pool (PostgreSQL; SQLite opens files, not
    sockets)."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, proxy):
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:
            return  # connected just now
        if time.monotonic() - returned_at <= idle_seconds and not _server_spoke(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: this connection is not to be used
            raise exc.DisconnectionError(f"connection check failed: {error}") from error


def _server_spoke(dbapi_connection) -> bool:
    """Whether an idle connection's socket can be read: the server wrote to it (only to end
    it) or it was closed. Asked of the kernel, without waiting."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return True  # no socket to ask about (closed, another driver): ping to be sure
    return bool(readable)
