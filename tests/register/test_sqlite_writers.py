"""SQLite's writers wait for each other in a queue (``register.sqlite_writers``)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest

from register import sqlite_writers
from register.sqlite_writers import Checkpointer, QueuedWriterConnection


def connect(path):
    connection = sqlite3.connect(path, factory=QueuedWriterConnection, isolation_level=None,
                                 check_same_thread=False, timeout=30)  # fmt: skip
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def begin(connection):
    connection.enter_queue()
    connection.execute("BEGIN IMMEDIATE")


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "register.sqlite"
    with connect(path) as setup:
        setup.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, writer TEXT)")
    return path


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_waiting_writer_goes_once_the_first_one_ends(database, end):
    first, second = connect(database), connect(database)
    begin(first)
    first.execute("INSERT INTO entries (writer) VALUES ('first')")
    entered = threading.Event()

    def write_second():
        begin(second)  # waits in the queue while the first one writes
        entered.set()
        second.execute("INSERT INTO entries (writer) VALUES ('second')")
        second.commit()

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not entered.wait(0.3), "the second writer must wait for the first"
    getattr(first, end)()
    assert entered.wait(10)
    thread.join(10)
    writers = [row[0] for row in first.execute("SELECT writer FROM entries ORDER BY id")]
    assert writers == (["first", "second"] if end == "commit" else ["second"])
    assert (database.parent / "register.sqlite-writers").exists()
    first.close()
    second.close()


def test_a_thread_in_the_queue_does_not_queue_again_on_another_connection(database):
    first, second = connect(database), connect(database)
    begin(first)
    second.enter_queue()  # would wait for itself; it returns and leaves it to SQLite instead
    assert not second._in_queue
    first.commit()
    begin(second)
    assert second._in_queue
    second.rollback()
    assert not second._in_queue


def test_a_long_log_is_checkpointed_by_a_thread_after_the_commit(database, monkeypatch):
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 64 * 1024)
    writer = connect(database)
    writer.take_over_checkpoints()
    log = f"{database}-wal"
    begin(writer)
    writer.executemany("INSERT INTO entries (writer) VALUES (?)", [("w" * 200,)] * 2000)
    writer.commit()  # the log is long now: the commit wakes the thread and returns
    checkpointer = Checkpointer.of(str(database))
    deadline = time.monotonic() + 10
    while checkpointer.done == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.done >= 1
    # Everything is in the database file: the next writer starts the log again from nothing.
    begin(writer)
    writer.execute("INSERT INTO entries (writer) VALUES ('after')")
    writer.commit()
    assert os.stat(log).st_size < 64 * 1024
    reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    assert reader.execute("SELECT count(*) FROM entries").fetchone() == (2001,)
    reader.close()
    writer.close()


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def write(writer, rows):
    begin(writer)
    writer.executemany("INSERT INTO entries (writer) VALUES (?)", [("w" * 200,)] * rows)
    writer.commit()


def test_what_is_due_is_the_part_of_the_log_not_copied_yet(database, monkeypatch):
    writer = connect(database)
    writer.take_over_checkpoints()
    log = f"{database}-wal"
    checkpointer = Checkpointer.of(str(database))
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 2**40)
    write(writer, 2000)
    # A reader of the log keeps it from starting again: it stays long, but once all of it
    # is copied, a small commit asks for no checkpoint.
    reader = sqlite3.connect(database)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM entries").fetchone()
    checkpointer.wake()
    wait_until(lambda: checkpointer.done == 1)
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 64 * 1024)
    write(writer, 1)
    assert os.stat(log).st_size >= 64 * 1024
    assert not checkpointer.due(os.stat(log).st_size)
    write(writer, 400)  # more than 64 KiB of new pages
    assert checkpointer.due(os.stat(log).st_size)
    reader.close()
    writer.close()


def test_a_log_that_never_starts_again_is_cut_back_with_the_writers_held(database, monkeypatch):
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(sqlite_writers, "LOG_LIMIT_BYTES", 256 * 1024)
    writer = connect(database)
    writer.take_over_checkpoints()
    log = f"{database}-wal"
    checkpointer = Checkpointer.of(str(database))
    # A reader of the database as it was keeps every checkpoint from copying anything.
    reader = sqlite3.connect(database)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM entries").fetchone()
    for _ in range(4):
        write(writer, 500)
    wait_until(lambda: checkpointer.done >= 1)
    assert os.stat(log).st_size > 256 * 1024
    assert checkpointer.restarts == 0
    reader.close()
    checkpointer.wake()  # as the next commit would: it copies everything and cuts the log
    wait_until(lambda: checkpointer.restarts == 1)
    assert os.stat(log).st_size == 0
    check = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    assert check.execute("SELECT count(*) FROM entries").fetchone() == (2000,)
    check.close()
    writer.close()


def test_a_stopped_checkpointer_ends_and_a_later_commit_starts_another(database, monkeypatch):
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 64 * 1024)
    writer = connect(database)
    writer.take_over_checkpoints()
    first = Checkpointer.of(str(database))
    Checkpointer.stop(str(database))
    assert not first._thread.is_alive()
    write(writer, 2000)
    second = Checkpointer.of(str(database))
    assert second is not first
    wait_until(lambda: second.done >= 1)
    writer.close()


def test_an_in_memory_database_has_no_queue():
    connection = sqlite3.connect(":memory:", factory=QueuedWriterConnection, isolation_level=None)
    begin(connection)
    assert not connection._in_queue
    connection.commit()


def test_the_apps_writers_queue_on_a_sqlite_database(tmp_path):
    """Whatever database the suite runs on, the app on a SQLite file queues its writers."""
    from register import create_app
    from register.extensions import db
    from tests.conftest import base_config

    app = create_app(
        base_config(f"sqlite:///{tmp_path / 'app.sqlite'}", SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=True)
    )
    with app.app_context(), db.engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, QueuedWriterConnection) and driver._in_queue
    assert not driver._in_queue
    with app.app_context():
        db.engine.dispose()
