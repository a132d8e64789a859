#!/usr/bin/env python3
"""Benchmark: the notification worker against a plain loop of ``requests`` posts.

Delivers N events (10,000 by default) from the outbox to a fast local HTTP receiver with the
real worker (claim, sign, POST, record outcome and attempt), and, in the same run, posts the
same bodies to the same receiver in a plain loop with one ``requests.Session``. Prints events
per second for both and their ratio: what the outbox's durability costs.

    python bench/webhook_dispatch.py                 # 10,000 events, SQLite file
    python bench/webhook_dispatch.py --quick         # 1,000 events
    python bench/webhook_dispatch.py --database postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()  # a fresh one per run


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint behind a proxy would

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port_queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def start_receiver():
    """The receiver in its own process, so it does not compete for this one's GIL."""
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{queue.get(timeout=10)}/webhook"


def hit_payload(n: int, now: datetime) -> dict:
    """A payload of the size and shape of a real ``hit.created`` event."""
    return {
        "type": "hit.created",
        "timestamp": now.isoformat(),
        "data": {
            "hit_id": n,
            "trigger": "registration",
            "match": {"kind": "exact", "identifier_type": "imei", "confidence": 1.0},
            "item": {
                "id": n,
                "category": "phone",
                "brand": "Apple",
                "model": "iPhone 13",
                "description": "black, cracked screen",
                "imei": f"49015420{n:07d}",
                "serial_number": None,
                "frame_number": None,
                "price_cents": 25000,
                "status": "police_hold",
            },
            "purchase": {
                "id": n,
                "sequence_number": n,
                "acquired_at": now.isoformat(),
                "acquisition_type": "purchase",
                "recorded_at": now.isoformat(),
            },
            "dealer": {
                "id": 1,
                "name": "Fietsen BV",
                "kvk_number": "12345678",
                "municipality": "GM0363",
                "address": {
                    "street": "Damrak",
                    "house_number": "1",
                    "postcode": "1012 LG",
                    "city": "Amsterdam",
                    "country": "NL",
                },
            },
            "seller": {
                "name": "Jan de Vries",
                "birth_date": "1990-04-01",
                "address": {
                    "street": "Kerkstraat",
                    "house_number": "12a",
                    "postcode": "1017 GC",
                    "city": "Amsterdam",
                    "country": "NL",
                },
                "id_document": {"type": "id_card", "number": "IXF123456", "issuing_country": "NL"},
            },
            "stolen_report": {"id": n, "report_number": f"PL1300-2026-{n:06d}"},
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 events")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a new SQLite file)")
    parser.add_argument("--batch-size", type=int, default=20, help="events claimed at once")
    args = parser.parse_args()
    count = 1_000 if args.quick else args.events

    import logging

    logging.disable(logging.INFO)  # one log line per event would measure the terminal
    import requests

    from notifications.delivery import RetryPolicy, encode_body
    from notifications.models import DELIVERED
    from notifications.outbox import counts_by_status, enqueue
    from notifications.worker import Worker, WorkerSettings
    from register import create_app
    from register.database import create_all, drop_all
    from register.extensions import db

    tmp = tempfile.TemporaryDirectory()
    url = args.database or f"sqlite:///{os.path.join(tmp.name, 'bench.sqlite')}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "POLICE_WEBHOOK_SECRET": SECRET,
            "RATELIMIT_ENABLED": False,
        }
    )
    receiver, endpoint = start_receiver()
    now = datetime.now(UTC)
    payloads = [hit_payload(n, now) for n in range(1, count + 1)]

    with app.app_context():
        if args.database:
            drop_all()
        create_all()
        started = time.perf_counter()
        for n, payload in enumerate(payloads, 1):
            enqueue(db.session, "hit.created", payload, now=now, dedupe_key=f"bench:{n}")
        db.session.commit()
        enqueue_seconds = time.perf_counter() - started
        db.session.remove()

    dialect = url.split(":", 1)[0]
    print(
        f"{count} events, {len(encode_body(payloads[0]))} bytes each, database {dialect}, "
        f"receiver {endpoint}"
    )
    print(f"enqueue (one transaction):       {count / enqueue_seconds:10.0f} events/s")

    # Baseline: the same bodies, the same receiver, a plain loop with one Session.
    session = requests.Session()
    started = time.perf_counter()
    for payload in payloads:
        response = session.post(
            endpoint,
            data=encode_body(payload).encode(),
            headers={"content-type": "application/json"},
            timeout=(5, 10),
        )
        response.raise_for_status()
    baseline = count / (time.perf_counter() - started)
    session.close()
    print(f"plain requests loop:             {baseline:10.0f} events/s")

    worker = Worker(
        app,
        settings=WorkerSettings(
            url=endpoint,
            secret=SECRET,
            batch_size=args.batch_size,
            policy=RetryPolicy(base_seconds=30),
        ),
    )
    started = time.perf_counter()
    attempted = worker.run_once()
    elapsed = time.perf_counter() - started
    with app.app_context():
        counts = counts_by_status(db.session)
        db.session.remove()  # end the read, or DROP TABLE waits for it
        if args.database:
            drop_all()
    receiver.terminate()
    if counts[DELIVERED] != count or attempted != count:
        print(f"not every event was delivered: {counts}", file=sys.stderr)
        return 1
    rate = count / elapsed
    print(
        f"worker (claim/sign/post/record): {rate:10.0f} events/s "
        f"(batch {args.batch_size}, every outcome committed)"
    )
    print(f"ratio worker / plain loop:       {rate / baseline:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
