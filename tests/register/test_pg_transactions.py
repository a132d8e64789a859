"""On PostgreSQL a transaction's BEGIN travels with its first statement, in one round trip
(``register.pg_transactions``), and transactions mean what they meant. Only on PostgreSQL:
SQLite has no round trips."""

from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import create_engine, exc, text

from register.pg_transactions import (
    BeginningCursor,
    BeginningServerCursor,
    begin_with_first_statement,
)
from tests.conftest import TEST_DATABASE_URL

if TEST_DATABASE_URL:

    @pytest.fixture
    def engine():
        engine = create_engine(
            TEST_DATABASE_URL,
            connect_args={"cursor_factory": BeginningCursor},
            pool_size=1,
            max_overflow=0,
        )
        begin_with_first_statement(engine)
        yield engine
        engine.dispose()

    def transaction_id(connection) -> int:
        return int(connection.scalar(text("SELECT pg_current_xact_id()")))

    def protocol_trace(connection, work) -> list[tuple[str, str]]:
        """(direction, message) of what the client (F) and the server (B) sent during
        ``work()``, from libpq's trace."""
        pgconn = connection.connection.dbapi_connection.pgconn
        with tempfile.TemporaryFile("w+") as trace:
            pgconn.trace(trace.fileno())
            try:
                work()
            finally:
                pgconn.untrace()
            trace.seek(0)
            lines = [line.split("\t") for line in trace.read().splitlines()]
        return [(fields[1], "\t".join(fields[3:])) for fields in lines]

    def test_begin_and_the_first_statement_are_sent_before_any_answer(engine):
        with engine.connect() as connection:
            connection.scalar(text("SELECT 1"))  # connected, dialect set up
            connection.commit()
            trace = protocol_trace(connection, lambda: connection.scalar(text("SELECT 2")))
            connection.commit()
        sent_before_answer = [message for side, message in trace[: _first(trace, "B")]]
        assert any("BEGIN" in message for message in sent_before_answer)
        assert any("SELECT 2" in message for message in sent_before_answer)
        assert not any(message.startswith("Query") for message in sent_before_answer)

    def _first(trace, side) -> int:
        return next(i for i, (direction, _) in enumerate(trace) if direction == side)

    def test_the_statements_of_a_transaction_share_it(engine):
        with engine.connect() as connection:
            first = transaction_id(connection)
            assert transaction_id(connection) == first
            connection.commit()
            assert transaction_id(connection) != first  # the next transaction

    def test_a_rolled_back_transaction_leaves_nothing(engine):
        with engine.connect() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE probe (n integer)"))
            connection.commit()
            connection.execute(text("INSERT INTO probe VALUES (1)"))
            connection.rollback()
            assert connection.scalar(text("SELECT count(*) FROM probe")) == 0
            connection.execute(text("INSERT INTO probe VALUES (2)"))
            connection.commit()
            assert connection.scalar(text("SELECT count(*) FROM probe")) == 1

    def test_a_server_side_cursor_can_be_the_first_statement(engine):
        with engine.connect() as connection:
            streamed = connection.execution_options(stream_results=True, yield_per=2)
            rows = streamed.execute(text("SELECT generate_series(1, 5)")).all()
            assert [n for (n,) in rows] == [1, 2, 3, 4, 5]
            first = transaction_id(connection)
            assert transaction_id(connection) == first  # still in the transaction
            connection.rollback()

    def test_copy_and_streaming_can_be_the_first_statement(engine):
        with engine.connect() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE probe (n integer)"))
            connection.commit()
            driver = connection.connection.dbapi_connection
            connection.begin()  # as a session's first use of the driver does
            with driver.cursor() as cursor, cursor.copy("COPY probe FROM STDIN") as copy:
                copy.write_row((1,))
            connection.rollback()  # the COPY was inside the transaction: nothing stays
            assert connection.scalar(text("SELECT count(*) FROM probe")) == 0
            connection.commit()
            connection.begin()
            with driver.cursor() as cursor:
                first = [int(n) for (n,) in cursor.stream("SELECT pg_current_xact_id()")]
            assert transaction_id(connection) == first[0]
            connection.rollback()

    def test_a_failing_first_statement_leaves_the_connection_usable(engine):
        with engine.connect() as connection:
            with pytest.raises(exc.ProgrammingError):
                connection.execute(text("SELECT * FROM no_such_table"))
            connection.rollback()
            assert connection.scalar(text("SELECT 3")) == 3

    def test_an_autocommit_connection_gets_no_begin_and_the_pool_gets_it_back(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            assert transaction_id(connection) != transaction_id(connection)
        with engine.connect() as connection:  # the same pooled connection, reset
            first = transaction_id(connection)
            assert transaction_id(connection) == first
            connection.rollback()

    def test_an_isolation_level_of_its_own_is_begun_by_psycopg(engine):
        with engine.connect().execution_options(isolation_level="SERIALIZABLE") as connection:
            level = connection.scalar(text("SHOW transaction_isolation"))
            assert level == "serializable"
            first = transaction_id(connection)
            assert transaction_id(connection) == first
            connection.rollback()

    def test_without_the_cursor_psycopg_keeps_beginning_transactions():
        engine = create_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)
        begin_with_first_statement(engine)  # no BeginningCursor: left out of autocommit
        with engine.connect() as connection:
            first = transaction_id(connection)
            assert transaction_id(connection) == first
            connection.rollback()
        engine.dispose()

    def test_the_service_uses_it(app):
        from register.extensions import db

        with app.app_context(), db.engine.connect() as connection:
            driver = connection.connection.dbapi_connection
            assert driver.cursor_factory is BeginningCursor
            assert driver.server_cursor_factory is BeginningServerCursor
            assert driver.autocommit
            first = transaction_id(connection)
            assert transaction_id(connection) == first
            connection.rollback()
