#!/usr/bin/env python3
"""Benchmark: purchase registrations through the HTTP API, beside a trivial endpoint.

Serves the app with gunicorn (2 sync workers by default) on a temporary SQLite database, or
on PostgreSQL with --database-url, and measures in the same run:

- the baseline: GET /healthz (a trivial endpoint: routing, security headers, JSON);
- POST /api/v1/purchases with one seller and two items (validation, numbering under the
  dealer lock, hash chain, Stop Heling check of each item, commit).

It prints requests per second and p50/p99 latency of both, and the ratio, which is the
figure to compare between machines. Not part of the test suite.

    python bench/register_purchases.py --quick
    python bench/register_purchases.py --requests 2000 --clients 4
    python bench/register_purchases.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMEIS = ["490154203237518", "356938035643809", "352099001761481"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str) -> str:
    """Create the schema (if missing), an active dealer and its token; return the token."""
    from register import create_app
    from register.accounts.service import create_user, issue_token
    from register.database import create_all
    from register.dealers.service import create_dealer, create_municipality, municipality_by_code
    from register.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        create_all()
        now = datetime.now(UTC)
        municipality = municipality_by_code(db.session, "GM0363") or create_municipality(
            db.session, "GM0363", "Amsterdam"
        )
        stamp = str(time.time_ns())
        dealer = create_dealer(
            db.session,
            name=f"Bench dealer {stamp}",
            municipality=municipality,
            now=now,
            kvk_number=stamp[-8:],
            active=True,
        )
        user = create_user(
            db.session,
            email=f"bench-{stamp}@example.nl",
            password=secrets.token_urlsafe(16),
            role="dealer",
            now=now,
            dealer_id=dealer.id,
        )
        token = issue_token(db.session, user, now=now, lifetime=None)
        db.session.commit()
        db.engine.dispose()
    return token


def payload() -> dict:
    acquired = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {
        "acquired_at": acquired,
        "seller": {
            "name": "Jan de Vries",
            "birth_date": "1990-04-01",
            "address": {
                "street": "Kerkstraat",
                "house_number": "12a",
                "postcode": "1017 GC",
                "city": "Amsterdam",
            },
            "id_document": {"type": "id_card", "number": "IXF123456", "issuing_country": "NL"},
        },
        "items": [
            {"category": "phone", "brand": "Apple", "imei": IMEIS[0], "price_cents": 25000},
            {"category": "bicycle", "brand": "Gazelle", "frame_number": "GZ1", "price_cents": 9000},
        ],
    }


def measure(base: str, requests_total: int, clients: int, call) -> tuple[float, list[float]]:
    """Run ``call(session, base)`` requests_total times over ``clients`` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests_total))
    errors: list[str] = []

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            response = call(session, base)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status_code >= 300:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return wall, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(name: str, count: int, wall: float, latencies: list[float]) -> float:
    rate = count / wall
    print(
        f"{name:<28} {count:>6} requests  {rate:>8.1f}/s  "
        f"p50 {percentile(latencies, 0.5) * 1000:7.2f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:7.2f} ms  "
        f"mean {statistics.fmean(latencies) * 1000:7.2f} ms"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="200 requests per endpoint")
    args = parser.parse_args()
    count = 200 if args.quick else args.requests

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        token = prepare(database_url)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REGISTER_RATELIMIT_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
        }
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "register:create_app()",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 30
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=5).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
            dialect = database_url.split(":", 1)[0]
            print(
                f"gunicorn {args.workers} workers, {args.clients} clients, {dialect}, "
                f"{count} requests per endpoint"
            )
            headers = {"Authorization": f"Bearer {token}"}
            body = payload()
            # Warm-up: imports, connections, template caches.
            measure(base, 20, args.clients, lambda s, b: s.get(b + "/healthz"))
            wall, lat = measure(base, count, args.clients, lambda s, b: s.get(b + "/healthz"))
            baseline = report("GET /healthz (baseline)", count, wall, lat)
            wall, lat = measure(
                base,
                count,
                args.clients,
                lambda s, b: s.post(b + "/api/v1/purchases", json=body, headers=headers),
            )
            purchases = report("POST /api/v1/purchases", count, wall, lat)
            print(f"ratio: registrations run at {purchases / baseline:.3f} x the baseline rate")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
