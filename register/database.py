"""Database setup: SQLite pragmas and transaction mode, table creation for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from operator import attrgetter

from flask import current_app, g, has_request_context, request
from sqlalchemy import Table, event
from sqlalchemy import text as text_sql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session, scoped_session

from stolen_db.lookup import fetch_all

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


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """PostgreSQL: the statements inside go to the server without waiting for each one's
    answer (psycopg's pipeline mode), so a registration's writes and lookups cost one round
    trip instead of one each. Inside, run only statements whose rows SQLAlchemy does not
    read (inserts and updates without RETURNING, ``SELECT``s whose result is ignored) and
    read rows through ``stolen_db.lookup``, which waits for them; an error surfaces at that
    read or at the end of the block. The session is flushed first for that reason: an ORM
    flush reads what the database answers. Elsewhere nothing changes."""
    if isinstance(session, scoped_session):
        session = session()
    session.flush()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    with connection.connection.driver_connection.pipeline():
        yield


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


@lru_cache(maxsize=64)
def _insert_plan(table: Table, dialect: Dialect):
    """``INSERT`` SQL for every column of ``table`` in the driver's placeholder style, a
    getter of an object's values for them (one tuple, made in C) and SQLAlchemy's
    conversion of a value for this database for the columns that need one (position,
    function)."""
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    columns = list(table.columns)
    names = ", ".join(quote(column.name) for column in columns)
    marks = ", ".join(mark for _ in columns)
    conversions = [
        (position, convert)
        for position, column in enumerate(columns)
        if (convert := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
    keys = [column.key for column in columns]
    values = attrgetter(*keys) if len(keys) > 1 else lambda obj: (getattr(obj, keys[0]),)
    return sql, values, conversions


def insert_rows(session: Session, model, objects) -> None:
    """Insert plain objects with an attribute per column of ``model``'s table, in one
    ``executemany`` on the driver: with SQLAlchemy's conversion of each value for the
    database (dates as SQLite stores them ...), without its per-row work, which costs more
    than the insert itself (a CSV import inserts a hundred thousand rows)."""
    connection = session.connection()
    sql, values, conversions = _insert_plan(model.__table__, connection.dialect)
    if conversions:
        rows = []
        for obj in objects:
            row = list(values(obj))
            for position, convert in conversions:
                row[position] = convert(row[position])
            rows.append(tuple(row))
    else:
        rows = [values(obj) for obj in objects]
    if rows:
        connection.exec_driver_sql(sql, rows)


class IdRequest:
    """New primary keys for several tables, asked in one statement (``allocate_ids``):
    ``statement`` is the SQL (``?`` placeholders) and its parameters, ``ids(row)`` reads its
    one row. Made apart from running it, so that the statement can share a round trip with
    another (``stolen_db.lookup.fetch_each``)."""

    def __init__(self, session: Session, counts: dict):
        self.counts = counts
        self.wanted = [(model, count) for model, count in counts.items() if count > 0]
        self.postgres = session.get_bind().dialect.name == "postgresql"
        parts, params = [], []
        for model, count in self.wanted:
            table = model.__table__.name
            if self.postgres:
                sequence = _sequence_of(session, table)
                parts.append(
                    f"(SELECT array_agg(nextval('{sequence}')) "  # noqa: S608
                    "FROM generate_series(1, ?))"
                )
                params.append(count)
            else:
                parts.append(f"(SELECT coalesce(max(id), 0) FROM {table})")  # noqa: S608
        self.statement = ("SELECT " + ", ".join(parts), params) if parts else None

    def ids(self, rows: list[tuple]) -> dict:
        ids: dict = {model: [] for model in self.counts}
        if self.statement is None:
            return ids
        (row,) = rows
        for (model, count), value in zip(self.wanted, row, strict=True):
            if self.postgres:
                ids[model] = sorted(value)
            else:
                ids[model] = list(range(value + 1, value + 1 + count))
        return ids


def allocate_ids(session: Session, counts: dict) -> dict:
    """New primary keys for several tables in one statement: ``{Model: count}`` gives
    ``{Model: [ids]}``. Taken before the rows are inserted, so that rows can refer to each
    other and be hashed onto the chain without a round trip each. PostgreSQL: from the
    tables' sequences. SQLite: after the highest, under the write lock the transaction holds
    (BEGIN IMMEDIATE)."""
    request = IdRequest(session, counts)
    if request.statement is None:
        return request.ids([])
    return request.ids(fetch_all(session, *request.statement))
