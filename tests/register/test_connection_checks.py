"""Pooled PostgreSQL connections are checked before use, with a round trip only when needed
(``register.connection_checks``). Only on PostgreSQL: SQLite has no connections to lose."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from register.connection_checks import check_connections
from tests.conftest import TEST_DATABASE_URL

if TEST_DATABASE_URL:

    def engine_with_checks(idle_seconds):
        engine = create_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)
        check_connections(engine, idle_seconds=idle_seconds)
        pings = []
        real_ping = engine.dialect.do_ping

        def counting_ping(dbapi_connection):
            pings.append(time.monotonic())
            return real_ping(dbapi_connection)

        engine.dialect.do_ping = counting_ping
        return engine, pings

    def backend_pid(engine):
        with engine.connect() as connection:
            return connection.scalar(text("SELECT pg_backend_pid()"))

    def test_a_connection_returned_a_moment_ago_is_used_without_a_ping():
        engine, pings = engine_with_checks(idle_seconds=60)
        first = backend_pid(engine)
        assert backend_pid(engine) == first  # the same connection, from the pool
        assert pings == []
        engine.dispose()

    def test_a_connection_idle_for_longer_is_pinged_first():
        engine, pings = engine_with_checks(idle_seconds=0.05)
        first = backend_pid(engine)
        time.sleep(0.1)
        assert backend_pid(engine) == first
        assert len(pings) == 1
        engine.dispose()

    def test_a_connection_the_server_ended_is_replaced_without_a_failed_request():
        engine, pings = engine_with_checks(idle_seconds=60)
        victim = backend_pid(engine)
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:  # as a restart would: the server says goodbye
            assert connection.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": victim})
        admin.dispose()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the goodbye reaches the socket
            with engine.connect() as connection:
                pass
            if pings:
                break
        # Within the idle window, yet checked: the socket had the server's goodbye to read.
        assert len(pings) == 1
        replacement = backend_pid(engine)
        assert replacement != victim
        engine.dispose()
