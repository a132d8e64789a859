"""Database setup: SQLite pragmas and transaction mode, table creation for tests."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import all_metadata, db

# Reads get a deferred transaction; anything that may write takes the write lock at BEGIN.
# On SQLite a read transaction that later writes fails at once (SQLITE_BUSY, no waiting) when
# another process wrote in between; BEGIN IMMEDIATE instead waits for the lock (busy_timeout).
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def writes_on_read(view):
    """Mark a GET view that writes (an audited read): on SQLite it begins IMMEDIATE too."""
    view.writes_on_read = True
    return view


def _request_may_write() -> bool:
    if request.method not in _READ_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "writes_on_read", False))


def configure_sqlite(engine: Engine, *, immediate_outside_requests: bool = True) -> None:
    """WAL, foreign keys and a busy timeout; BEGIN IMMEDIATE wherever a write may follow.

    Outside requests (CLI commands, the worker) every transaction may write, so it begins
    IMMEDIATE unless ``immediate_outside_requests`` is off (the test suite turns it off for
    the test's own session, which only prepares and inspects data).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if has_request_context():
            immediate = _request_may_write()
        else:
            immediate = immediate_outside_requests
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_all() -> None:
    """Create every package's tables (tests; real databases use ``flask db upgrade``)."""
    for metadata in all_metadata():
        metadata.create_all(db.engine)


def drop_all() -> None:
    for metadata in reversed(all_metadata()):
        metadata.drop_all(db.engine)
