"""Database setup: SQLite pragmas and transaction mode, table creation for tests."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy import text as text_sql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from .extensions import all_metadata, db

# Reads get a deferred transaction; anything that may write takes the write lock at BEGIN.
# On SQLite a read transaction that later writes fails at once (SQLITE_BUSY, no waiting) when
# another process wrote in between; BEGIN IMMEDIATE instead waits for the lock (busy_timeout).
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def writes_on_read(view):
    """Mark a GET view that writes (an audited read): on SQLite it begins IMMEDIATE too."""
    view.writes_on_read = True
    return view


def reads_first(view):
    """Mark a write view that reads before it writes (a registration: the token, the dealer,
    validation) and calls ``end_read_phase`` in between. On SQLite its first transaction
    begins deferred and only the writing holds the database's one write lock, so another
    process's registration can be read and validated meanwhile."""
    view.reads_first = True
    return view


def end_read_phase(session: Session) -> None:
    """End a ``reads_first`` view's reading: on SQLite, commit the read transaction and keep
    what it loaded (the next statement begins the write transaction, IMMEDIATE). What was
    read may change before the write lock is taken: the writing checks what matters again
    under its own locks. Elsewhere nothing changes (PostgreSQL has no database-wide lock)."""
    if has_request_context():
        g.read_phase_over = True
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _request_may_write() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    if request.method not in _READ_METHODS:
        return not (getattr(view, "reads_first", False) and not g.get("read_phase_over"))
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
        take_over_checkpoints = getattr(dbapi_connection, "take_over_checkpoints", None)
        if take_over_checkpoints is not None:
            take_over_checkpoints()
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if has_request_context():
            immediate = _request_may_write()
        else:
            immediate = immediate_outside_requests
        if not immediate:
            connection.exec_driver_sql("BEGIN")
            return
        # Wait for the writers before us in the kernel, not in SQLite's sleeping busy handler.
        driver = connection.connection.driver_connection
        enter_queue = getattr(driver, "enter_queue", None)
        if enter_queue is not None:
            enter_queue()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if enter_queue is not None:
                driver.leave_queue()
            raise


def create_all() -> None:
    """Create every package's tables (tests; real databases use ``flask db upgrade``)."""
    for metadata in all_metadata():
        metadata.create_all(db.engine)


def drop_all() -> None:
    for metadata in reversed(all_metadata()):
        metadata.drop_all(db.engine)


_SEQUENCES: dict[str, str] = {}


def _sequence_of(session: Session, table: str) -> str:
    """The sequence behind ``table``'s id (PostgreSQL), looked up once per process."""
    if table not in _SEQUENCES:
        _SEQUENCES[table] = session.scalar(
            text_sql("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
        )
    return _SEQUENCES[table]


def allocate_ids(session: Session, counts: dict) -> dict:
    """New primary keys for several tables in one statement: ``{Model: count}`` gives
    ``{Model: [ids]}``. Taken before the rows are inserted, so that rows can refer to each
    other and be hashed onto the chain without a round trip each. PostgreSQL: from the
    tables' sequences. SQLite: after the highest, under the write lock the transaction holds
    (BEGIN IMMEDIATE)."""
    wanted = [(model, count) for model, count in counts.items() if count > 0]
    ids: dict = {model: [] for model in counts}
    if not wanted:
        return ids
    postgres = session.get_bind().dialect.name == "postgresql"
    parts = []
    for index, (model, _count) in enumerate(wanted):
        table = model.__table__.name
        if postgres:
            sequence = _sequence_of(session, table)
            parts.append(
                f"(SELECT array_agg(nextval('{sequence}')) "  # noqa: S608
                f"FROM generate_series(1, :n{index}))"
            )
        else:
            parts.append(f"(SELECT coalesce(max(id), 0) FROM {table})")  # noqa: S608
    params = {f"n{index}": count for index, (_model, count) in enumerate(wanted)}
    row = session.execute(text_sql("SELECT " + ", ".join(parts)), params).one()
    for (model, count), value in zip(wanted, row, strict=True):
        ids[model] = sorted(value) if postgres else list(range(value + 1, value + 1 + count))
    return ids
