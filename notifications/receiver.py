"""A demonstration police endpoint: verifies Standard Webhooks signatures, stores, shows.

``flask --app register police-receiver --port 5001`` runs it with the register's
``POLICE_WEBHOOK_SECRET``. It is what a police system would do on its side: check the
signature and the timestamp, treat a repeated ``webhook-id`` as the same message (delivery
is at least once), and answer 2xx only once the message is safely stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, render_template, request
from standardwebhooks import Webhook, WebhookVerificationError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    webhook_id TEXT PRIMARY KEY,
    type TEXT,
    body TEXT NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


class ReceiverStore:
    """Received messages in a SQLite file (or in memory), one row per webhook-id."""

    def __init__(self, path: str = ":memory:"):
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)

    def add(self, webhook_id: str, body: str, event_type: str | None) -> bool:
        """Store a verified message; returns False when this webhook-id came before."""
        now = datetime.now(UTC).isoformat()
        with self._lock:
            seen = self._db.execute(
                "SELECT 1 FROM received WHERE webhook_id = ?", (webhook_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO received (webhook_id, type, body, first_received_at, "
                "last_received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (webhook_id) DO UPDATE "
                "SET deliveries = deliveries + 1, last_received_at = excluded.last_received_at",
                (webhook_id, event_type, body, now, now),
            )
        return seen is None

    def reject(self, reason: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO rejected (received_at, reason) VALUES (?, ?)",
                (datetime.now(UTC).isoformat(), reason),
            )

    def messages(self, limit: int = 500) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM received ORDER BY first_received_at DESC, webhook_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {
                "webhook_id": row["webhook_id"],
                "type": row["type"],
                "first_received_at": row["first_received_at"],
                "last_received_at": row["last_received_at"],
                "deliveries": row["deliveries"],
                "body": json.loads(row["body"]),
            }
            for row in rows
        ]

    def rejected_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM rejected").fetchone()[0]


def create_receiver_app(secret: str, store: ReceiverStore | None = None) -> Flask:
    """The police demo endpoint as a small Flask application of its own."""
    app = Flask(__name__)
    webhook = Webhook(secret)
    store = store or ReceiverStore()
    app.extensions["police_receiver_store"] = store

    @app.post("/webhook")
    def receive():
        body = request.get_data(as_text=True)
        try:
            message = webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            store.reject(str(exc))
            return _problem(400, f"signature not accepted: {exc}")
        except ValueError as exc:  # a valid signature over a body that is not JSON
            store.reject(str(exc))
            return _problem(400, "body is not JSON")
        event_type = message.get("type") if isinstance(message, dict) else None
        new = store.add(request.headers["webhook-id"], body, event_type)
        return jsonify({"received": True, "duplicate": not new}), 200

    @app.get("/events")
    def events():
        return jsonify({"items": store.messages(), "rejected": store.rejected_count()})

    @app.get("/")
    def page():
        messages = store.messages()
        html = render_template(
            "notifications/receiver.html",
            messages=messages,
            rejected=store.rejected_count(),
        )
        response = Response(html, mimetype="text/html")
        response.headers["Refresh"] = "5"  # no scripts needed to see a hit arrive
        return response

    return app


def _problem(status: int, detail: str):
    response = jsonify({"type": "about:blank", "status": status, "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
