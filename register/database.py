"""Database setup: SQLite's pragmas and transaction mode, table creation for tests."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .extensions import all_metadata, db

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _may_write() -> bool:
    """Whether this request's transaction may write: any method but a read, a read that
    states a ``purpose`` (a police or inspector's read, which writes the audit log), and a
    read that records its API token's last use (``accounts.tokens.use_due``)."""
    from .accounts.tokens import use_due

    return request.method not in _READ_METHODS or "purpose" in request.args or use_due()


def configure_sqlite(
    engine: Engine, *, immediate_outside_requests: bool = True, busy_timeout_ms: int = 30000
) -> None:
    """WAL, foreign keys and a busy timeout on every connection; BEGIN IMMEDIATE for a
    transaction that may write, so that it waits for the write lock (``_begin_immediate``)
    instead of failing when another connection wrote after it began reading.

    Outside requests (CLI commands, worker jobs) every transaction may write, unless
    ``immediate_outside_requests`` is off (the test suite's own session only reads)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy, not sqlite3, begins
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = _may_write() if has_request_context() else immediate_outside_requests
        if immediate:
            _begin_immediate(connection, busy_timeout_ms)
        else:
            connection.exec_driver_sql("BEGIN")


LOCK_POLL_SECONDS = 0.0005  # how soon a writer waiting for the write lock asks again


def _begin_immediate(connection, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, asking for the write lock every ``LOCK_POLL_SECONDS`` until it is
    free or ``busy_timeout_ms`` has passed ("database is locked", a 503).

    SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), so a
    waiting writer slept through the moments the lock was free while the other worker took
    it again and again: with two workers the 99th percentile of registrations was 500 ms,
    against 150 ms asking this way (docs/performance.md)."""
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + busy_timeout_ms / 1000
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "database is locked" not in str(exc.orig) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


IN_BATCH = 500  # values per IN (...) list: one statement per batch, whatever the number


def in_batches(values: Sequence, size: int = IN_BATCH) -> Iterator[Sequence]:
    """``values`` in slices of at most ``size``, for one ``IN`` lookup each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert_insert(session: Session, table):
    """The dialect's ``INSERT`` for ``table`` on this session's database, which has
    ``on_conflict_do_nothing`` and ``on_conflict_do_update`` (PostgreSQL and SQLite alike)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def create_all() -> None:
    """Create every package's tables (tests; real databases use ``flask db upgrade``)."""
    for metadata in all_metadata():
        metadata.create_all(db.engine)


def drop_all() -> None:
    for metadata in reversed(all_metadata()):
        metadata.drop_all(db.engine)
