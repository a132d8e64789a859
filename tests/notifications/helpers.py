"""Helpers for the notification tests: a real local police receiver, events, a worker."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

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


def add_events(session, clock, count: int, *, event_type: str = "hit.created") -> list[EventRef]:
    """``count`` committed events with API.md-shaped payloads.

    Returns plain references and leaves no transaction open: on SQLite an open transaction
    of the test's session would hold the write lock the worker needs.
    """
    events = [
        enqueue(
            session,
            event_type,
            {
                "type": event_type,
                "timestamp": clock.now().isoformat(),
                "data": {"hit_id": n, "stolen_report": {"id": n, "report_number": f"PL-{n}"}},
            },
            now=clock.now(),
            dedupe_key=f"test:{n}:{time.monotonic_ns()}",
        )
        for n in range(1, count + 1)
    ]
    refs = [EventRef(e.id, e.message_id, e.payload) for e in events]
    session.commit()
    return refs


def make_worker(app, url: str, **settings) -> Worker:
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
    return Worker(app, settings=WorkerSettings(**values))
