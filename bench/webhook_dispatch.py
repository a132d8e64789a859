#!/usr/bin/env python3
"""The notification worker against a plain loop of ``requests`` posts.

Delivers N events (10,000 by default) from the outbox to a fast local HTTP receiver with the
real worker (claim, sign, POST, record outcome and attempt, committed per claimed batch), and,
in the same run, posts the same bodies to the same receiver in a plain loop with one
``requests.Session``. Prints events per second for both and their ratio (what the outbox's
durability costs), and the worker process's peak resident memory (VmHWM): the worker runs
in a process of its own, as ``flask --app register worker`` does.

    python bench/webhook_dispatch.py                 # 10,000 events, a new SQLite file
    python bench/webhook_dispatch.py --quick         # 1,000 events
    python bench/webhook_dispatch.py --database postgresql+psycopg://postgres@127.0.0.1/bench_x
"""

from __future__ import annotations

import argparse
import base64
import logging
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, peak_rss, start_receiver, table

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()  # a fresh one per run


def hit_payload(n: int, now: datetime) -> dict:
    """A payload of the size and shape of a real ``hit.created`` event."""
    address = {
        "street": "Kerkstraat",
        "house_number": "12a",
        "postcode": "1017 GC",
        "city": "Amsterdam",
        "country": "NL",
    }
    item = {
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
    }
    purchase = {
        "id": n,
        "sequence_number": n,
        "acquired_at": now.isoformat(),
        "acquisition_type": "purchase",
        "recorded_at": now.isoformat(),
    }
    dealer = {
        "id": 1,
        "name": "Fietsen BV",
        "kvk_number": "12345678",
        "municipality": "GM0363",
        "address": address,
    }
    seller = {
        "name": "Jan de Vries",
        "birth_date": "1990-04-01",
        "address": address,
        "id_document": {"type": "id_card", "number": "IXF123456", "issuing_country": "NL"},
    }
    return {
        "type": "hit.created",
        "timestamp": now.isoformat(),
        "data": {
            "hit_id": n,
            "trigger": "registration",
            "match": {"kind": "exact", "identifier_type": "imei", "confidence": 1.0},
            "item": item,
            "purchase": purchase,
            "dealer": dealer,
            "seller": seller,
            "stolen_report": {"id": n, "report_number": f"PL1300-2026-{n:06d}"},
        },
    }


def _config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "POLICE_WEBHOOK_SECRET": SECRET,
        "RATELIMIT_ENABLED": False,
    }


def _worker_process(url: str, endpoint: str, batch_size: int, out) -> None:
    """The delivery pass of one worker process; reports (seconds, attempted, VmHWM)."""
    logging.disable(logging.INFO)  # one log line per event would measure the terminal
    from notifications.worker import Worker, WorkerSettings
    from register import create_app

    app = create_app(_config(url))
    settings = WorkerSettings.from_config(app.config)  # the configured worker ...
    settings = replace(settings, url=endpoint, secret=SECRET, batch_size=batch_size)
    worker = Worker(app, settings=settings)
    started = time.perf_counter()
    attempted = worker.run_once()
    out.put((time.perf_counter() - started, attempted, peak_rss(os.getpid())))


def measure(url: str | None, *, events: int, batch_size: int | None = None) -> list[Figure]:
    """Enqueue ``events`` events in ``url`` (a new SQLite file when None; the outbox tables
    are emptied first), then time the plain loop and the worker."""
    logging.disable(logging.INFO)
    import requests
    from sqlalchemy import delete, insert

    from notifications.delivery import encode_body
    from notifications.models import DELIVERED, DeliveryAttempt, OutboxEvent
    from notifications.outbox import _new_event, counts_by_status
    from register import config, create_app
    from register.database import create_all
    from register.extensions import db

    batch_size = batch_size or config.WORKER_BATCH_SIZE
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite:///{os.path.join(tmp.name, 'bench.sqlite')}"
    app = create_app(_config(url))
    receiver, endpoint = start_receiver()
    now = datetime.now(UTC)
    payloads = [hit_payload(n, now) for n in range(1, events + 1)]
    with app.app_context():
        create_all()
        db.session.execute(delete(DeliveryAttempt))
        db.session.execute(delete(OutboxEvent))
        # Queued as a registration queues its hits (the setup, not what is measured).
        # One multi-row insert of the rows ``enqueue`` makes (setup, not what is measured).
        db.session.execute(
            insert(OutboxEvent),
            [_new_event("hit.created", payload, now, f"bench:{n}")
             for n, payload in enumerate(payloads, 1)],
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

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
    baseline = events / (time.perf_counter() - started)
    session.close()

    context = multiprocessing.get_context("spawn")  # a fresh process, as the real worker
    out = context.Queue()
    process = context.Process(target=_worker_process, args=(url, endpoint, batch_size, out))
    process.start()
    seconds, attempted, memory = out.get(timeout=3600)
    process.join()
    with app.app_context():
        counts = counts_by_status(db.session)
        db.session.remove()
        db.engine.dispose()
    receiver.terminate()
    tmp.cleanup()
    if counts[DELIVERED] != events or attempted != events:
        raise RuntimeError(f"not every event was delivered: {counts}")
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    size = len(encode_body(payloads[0]))
    return [
        Figure(database, f"webhook dispatch, {events:,} events of {size:,} bytes",
               "events/s", events / seconds, baseline, "plain requests loop events/s", 0.5,
               note=f"worker batch {batch_size}, the outcomes of each batch committed together"),
        Figure(database, "peak memory", "notification worker VmHWM (MiB)",
               None if memory is None else memory / 2**20, None, "", None,
               note=f"a worker process delivering {events:,} events"),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 events")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a new SQLite file)")
    parser.add_argument("--batch-size", type=int, default=None, help="events claimed at once")
    args = parser.parse_args(argv)
    events = 1_000 if args.quick else args.events
    print(table(measure(args.database, events=events, batch_size=args.batch_size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
