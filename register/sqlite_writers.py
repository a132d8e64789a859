"""A queue for SQLite's writers: processes that want the write lock wait in the kernel.

SQLite has one writer at a time. A connection that finds the write lock taken does not wait
for it to be released: its busy handler sleeps and tries again, 1, 2, 5, 10, 15, 20, 25 ...
ms later. Under a steady stream of short write transactions (registrations at the counter,
several web processes) a waiter sleeps on while the lock has long been free, and the
database sits idle between writers.

So every transaction that begins IMMEDIATE first takes an exclusive ``flock`` on a file
beside the database (``<database>-writers``), and lets go of it once it has committed or
rolled back. ``flock`` waits in the kernel and wakes the next writer the moment the lock is
released; SQLite's own lock is then free at once. The kernel drops the lock of a process that
dies. A thread that holds the queue on one connection and begins IMMEDIATE on another does
not queue again (that would wait for itself): that second connection relies on SQLite's busy
handler, as without the queue.

SQLite checkpoints its write-ahead log into the database inside the COMMIT that makes the
log long enough (``wal_autocheckpoint``): tens of milliseconds of copying and syncing while
that writer still holds its place in the queue, and its request waits for it. So these
connections leave checkpoints to a thread of their process (``Checkpointer``): a commit
that finds enough of the log not yet copied wakes the thread and returns, and a PASSIVE
checkpoint runs beside the next requests and writers instead of in front of them (SQLite
copies and syncs without holding Python's GIL). The copying costs the same CPU wherever it
runs; what leaves the request is the wait, about half of a checkpoint's 25 ms at the
national register's size.

What is due is the part of the log written since the last checkpoint, not the log's size.
The log starts again from nothing (and is cut back, ``journal_size_limit``) only when a
writer begins while everything in it has been copied; under a steady stream of writers the
next one has often begun while the checkpoint was still running, so the log grows to tens
of megabytes. Its size alone would then ask for a checkpoint after every commit: two syncs
each, and every page copied once per commit instead of once per checkpoint. And as long as
a writer keeps beginning too early, the log grows without end: once it reaches
``LOG_LIMIT_BYTES``, the checkpointer holds the writers back in their queue for one
checkpoint that copies it to its end and cuts it back to nothing.

Where ``fcntl`` does not exist (Windows) or the database is in memory, there is no queue.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None

log = logging.getLogger(__name__)

_held = threading.local()  # how many queue places this thread holds

# When this much of the log is not in the database yet, the next connection to commit wakes
# the checkpointer (SQLite's own default is 1,000 pages: 4 MiB).
CHECKPOINT_BYTES = 4 * 1024 * 1024
# A log this long is copied to its end with the writers held back, so that it starts again.
LOG_LIMIT_BYTES = 64 * 1024 * 1024
RESTART_WAIT_MS = 200


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that leaves the writers' queue when its transaction ends.

    Handed to ``sqlite3.connect`` as its ``factory``; ``enter_queue`` is called before BEGIN
    IMMEDIATE (``register.database.configure_sqlite``)."""

    _queue_fd: int | None = None
    _in_queue = False
    _wal_path: str | None = None

    def _file(self) -> str | None:
        """The main database's file (None in memory), asked of SQLite once."""
        if not hasattr(self, "_path"):
            self._path = _database_path(self)
        return self._path

    def take_over_checkpoints(self) -> None:
        """Checkpoint after commits, outside the queue, instead of inside them (on connect)."""
        path = self._file()
        if fcntl is None or path is None:
            return
        self.execute("PRAGMA wal_autocheckpoint=0")
        self.execute("PRAGMA journal_size_limit=0")
        self._wal_path = path + "-wal"

    def enter_queue(self) -> None:
        if fcntl is None or self._in_queue or getattr(_held, "count", 0):
            return
        if self._queue_fd is None:
            path = self._file()
            if path is None:
                return
            self._queue_fd = _open_queue(path)
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)  # waits here, in the kernel
        self._in_queue = True
        _held.count = getattr(_held, "count", 0) + 1

    def leave_queue(self) -> None:
        if self._in_queue:
            self._in_queue = False
            _held.count -= 1
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_queue()
        self._checkpoint_if_due()

    def _checkpoint_if_due(self) -> None:
        if self._wal_path is None or self.in_transaction:
            return
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return  # no log yet; the next commit looks again
        checkpointer = Checkpointer.of(self._file())
        if checkpointer.due(size):
            checkpointer.wake()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None


class Checkpointer:
    """A daemon thread that checkpoints one database's log when a commit asks it to, on a
    connection of its own: one per database file and process (``of``)."""

    _running: dict[tuple[int, str], Checkpointer] = {}
    _lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self.done = 0  # checkpoints run (tests wait for them)
        self._copied = 0  # bytes of the log the last checkpoint had copied into the database
        self.restarts = 0  # logs cut back to nothing
        self._stopping = False
        self._wanted = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sqlite-checkpoint {os.path.basename(path)}", daemon=True
        )
        self._thread.start()

    @classmethod
    def of(cls, path: str) -> Checkpointer:
        """This process's checkpointer of ``path`` (a forked child starts its own: threads
        do not survive a fork)."""
        key = (os.getpid(), path)
        with cls._lock:
            checkpointer = cls._running.get(key)
            if checkpointer is None:
                checkpointer = cls._running[key] = cls(path)
            return checkpointer

    def wake(self) -> None:
        self._wanted.set()

    @classmethod
    def stop(cls, path: str, timeout: float = 30) -> None:
        """End this process's checkpointer of the database file ``path`` once a checkpoint
        it runs is done: before the file is deleted (a throwaway copy), so that no
        checkpoint runs on a file that is gone. A later commit starts a new one."""
        real = os.path.realpath(path)
        with cls._lock:
            keys = [key for key in cls._running
                    if key[0] == os.getpid() and os.path.realpath(key[1]) == real]  # fmt: skip
            stopping = [cls._running.pop(key) for key in keys]
        for checkpointer in stopping:
            checkpointer._stopping = True
            checkpointer.wake()
            checkpointer._thread.join(timeout)

    def due(self, log_size: int) -> bool:
        """Whether a log of ``log_size`` bytes holds ``CHECKPOINT_BYTES`` that this
        process's last checkpoint did not copy (all of it, once the log is shorter than what
        that checkpoint copied: it started again since)."""
        copied = self._copied if self._copied <= log_size else 0
        return log_size - copied >= CHECKPOINT_BYTES

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_autocheckpoint=0")
            # A restart waits this long for readers, holding the writers back meanwhile.
            connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            (page_size,) = connection.execute("PRAGMA page_size").fetchone()
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    self._checkpoint(connection, page_size)
                except sqlite3.Error:
                    log.warning("checkpoint of %s failed; the next commit asks again", self.path,
                                exc_info=True)  # fmt: skip
                self.done += 1
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection, page_size: int) -> None:
        # PASSIVE: copies what no reader still needs, waits for nobody (another process's
        # checkpoint running means this one is not needed). What it cannot copy yet, a
        # later commit's wake-up copies.
        _busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._copied = _log_bytes(max(copied, 0), page_size)
        if _log_bytes(frames, page_size) < LOG_LIMIT_BYTES or fcntl is None:
            return
        # The log has grown this long because a writer always began before a checkpoint
        # had copied everything. Once in a while, the writers wait in their queue while the
        # rest is copied and the log is cut back to nothing (TRUNCATE; it gives up, busy,
        # when a reader needs the log longer than RESTART_WAIT_MS).
        queue = _open_queue(self.path)
        try:
            fcntl.flock(queue, fcntl.LOCK_EX)
            busy, _frames, _copied = connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).fetchone()
            if not busy:
                self._copied = 0
                self.restarts += 1
        finally:
            os.close(queue)  # lets go of the queue


def _open_queue(path: str) -> int:
    """A descriptor of the writers' queue of the database file ``path``, to ``flock``."""
    return os.open(path + "-writers", os.O_RDWR | os.O_CREAT, 0o600)


def _log_bytes(frames: int, page_size: int) -> int:
    """The length of a write-ahead log with ``frames`` pages: a 32-byte header, then each
    page behind a 24-byte frame header (sqlite.org/fileformat.html#the_write_ahead_log)."""
    return 32 + frames * (24 + page_size)


def _database_path(connection: sqlite3.Connection) -> str | None:
    """The main database's file, or None for an in-memory or temporary database."""
    for _seq, name, path in connection.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or None
    return None
