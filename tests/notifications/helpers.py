"""Helpers for the notification tests: a real local police receiver, events, a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Request, Response

from notifications.delivery import RetryPolicy
from notifications.outbox import enqueue
from notifications.worker import Worker, WorkerSettings
from tests.conftest import WEBHOOK_SECRET


@dataclass
class Received:
    webhook_id: str
    headers: dict
    body: str
    answered: str  # "ok", "500", "timeout"


@dataclass
class PoliceReceiver:
    """A real HTTP endpoint on an ephemeral port whose behaviour a test switches at will.

    ``mode``: "ok" answers 204, "500" answers 500, "timeout" sleeps ``delay`` seconds before
    answering (longer than the worker's read timeout), "slow" sleeps ``delay`` then answers
    204. ``stop()`` makes the port refuse connections; ``start()`` opens it again.
    """

    server: HTTPServer
    mode: str = "ok"
    delay: float = 1.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/webhook"

    def handle(self, request: Request) -> Response:
        mode = self.mode
        with self.lock:
            self.received.append(
                Received(
                    request.headers.get("webhook-id", ""),
                    dict(request.headers),
                    request.get_data(as_text=True),
                    mode,
                )
            )
        if mode == "500":
            return Response("internal error", status=500)
        if mode in ("timeout", "slow"):
            time.sleep(self.delay)
        return Response(status=204)

    def start(self) -> None:
        if not self.server.is_running():
            self.server.start()

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()

    def ids(self, answered: str | None = None) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received if answered in (None, r.answered)]

    def verify_all(self, secret: str = WEBHOOK_SECRET) -> None:
        """Every request carried a signature that the standardwebhooks package accepts."""
        webhook = Webhook(secret)
        with self.lock:
            for request in self.received:
                webhook.verify(request.body, request.headers)


def start_receiver() -> PoliceReceiver:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    receiver = PoliceReceiver(server)
    server.expect_request("/webhook", method="POST").respond_with_handler(receiver.handle)
    server.start()
    return receiver


@dataclass(frozen=True)
class EventRef:
    id: int
    message_id: str
    payload: dict


def add_events(
    session, clock, count: int, *, event_type: str = "hit.created", now: datetime | None = None
) -> list[EventRef]:
    """``count`` committed events with API.md-shaped payloads.

    Returns plain references and leaves no transaction open: on SQLite an open transaction
    of the test's session would hold the write lock the worker needs.
    """
    now = now or clock.now()
    events = [
        enqueue(
            session,
            event_type,
            {
                "type": event_type,
                "timestamp": now.isoformat(),
                "data": {"hit_id": n, "stolen_report": {"id": n, "report_number": f"PL-{n}"}},
            },
            now=now,
            dedupe_key=f"test:{n}:{time.monotonic_ns()}",
        )
        for n in range(1, count + 1)
    ]
    refs = [EventRef(e.id, e.message_id, e.payload) for e in events]
    session.commit()
    return refs


def make_worker(app, url: str, **settings) -> Worker:
    worker_id = settings.pop("worker_id", None)
    policy = settings.pop("policy", RetryPolicy(base_seconds=30.0))
    values = {
        "url": url,
        "secret": WEBHOOK_SECRET,
        "batch_size": 10,
        "connect_timeout": 1.0,
        "read_timeout": 0.3,
        "in_flight_timeout": timedelta(minutes=15),
        "policy": policy,
    }
    values.update(settings)
    return Worker(app, settings=WorkerSettings(**values), worker_id=worker_id)


ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_uri: str, url: str, **config) -> dict:
    """The environment of a ``flask --app register worker`` process for a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTER_")}
    env.update(
        {
            "DATABASE_URL": str(database_uri),
            "REGISTER_SECRET_KEY": "test-secret-key",
            "REGISTER_POLICE_WEBHOOK_URL": url,
            "REGISTER_POLICE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            # The test's own keys (tests/conftest.py), so it can verify what processes chain.
            "REGISTER_CHAIN_SECRET": "test-chain-secret",
            "REGISTER_ANCHOR_SECRET": "test-anchor-secret",
            "REGISTER_WORKER_POLL_SECONDS": "0.1",
            "REGISTER_DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
            "REGISTER_DELIVERY_READ_TIMEOUT": "5",
            "REGISTER_WORKER_SWEEP_SECONDS": "0.5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"REGISTER_{key}": str(value) for key, value in config.items()})
    return env


class WorkerProcess:
    """``flask --app register worker`` as a real process, its log lines collected."""

    def __init__(self, env: dict, *args: str):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "register", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def wait_for_log(self, fragment: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(fragment in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"worker never logged {fragment!r}:\n" + "\n".join(self.lines))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def ensure_stopped(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting: {message}")
