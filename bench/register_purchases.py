#!/usr/bin/env python3
"""Benchmark: purchase registrations through the HTTP API, beside a trivial endpoint.

Serves the app with gunicorn (``gunicorn.conf.py``, 2 sync workers by default) on a
temporary SQLite database, or on PostgreSQL with --database-url, and measures in the same
run and the same server:

- the baseline: GET /healthz (a trivial endpoint: routing, security headers, JSON);
- POST /api/v1/purchases for ONE dealer: every registration takes that dealer's register
  lock (gapless numbering, hash chain), so they queue behind each other;
- POST /api/v1/purchases spread over --dealers dealers (round robin), as many shops would.

Registrations are realistic: a seller, one to three items (phones with IMEIs, bicycles with
frame numbers, laptops and cameras with serial numbers, from ``stolen_db.generator``), checked
against --stolen active stolen reports; --hit-rate of them carry the identifier of a reported
good, which makes a hit (police hold, outbox event, inspection task) in the same request.

It prints requests per second and p50/p99 latency of each, and the ratios, which are the
figures to compare between machines. With --raw it also measures the floor under any
registration: a bare INSERT + COMMIT of one row per "request" on the same database with the
same concurrency, without the web stack (psycopg or sqlite3 directly).

The database is emptied and recreated first: give PostgreSQL a database of its own.

    python bench/register_purchases.py --quick
    python bench/register_purchases.py --requests 2000 --clients 4 --dealers 200 --raw
    python bench/register_purchases.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import random
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- data ---------------------------------------------------------------------------------


def prepare(database_url: str, dealers: int, stolen: int, seed: int) -> tuple[list[str], list]:
    """A fresh schema, ``dealers`` active dealers with a token each, ``stolen`` reports.

    Returns the tokens and the reports (to make hits from).
    """
    from sqlalchemy import text

    from register import create_app
    from register.accounts.models import User
    from register.accounts.service import hash_password, issue_token
    from register.database import create_all, drop_all
    from register.dealers.service import create_dealer, create_municipality
    from register.extensions import db
    from stolen_db.generator import Generator
    from stolen_db.service import add_reports_bulk

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        drop_all()
        create_all()
        now = datetime.now(UTC)
        municipality = create_municipality(db.session, "GM0363", "Amsterdam")
        password_hash = hash_password("bench-password")
        tokens = []
        for number in range(dealers):
            dealer = create_dealer(
                db.session,
                name=f"Bench dealer {number}",
                municipality=municipality,
                now=now,
                kvk_number=f"{10_000_000 + number}",
                active=True,
            )
            user = User(
                email=f"bench-{number}@example.nl",
                password_hash=password_hash,
                role="dealer",
                dealer_id=dealer.id,
                created_at=now,
            )
            db.session.add(user)
            db.session.flush()
            tokens.append(issue_token(db.session, user, now=now, lifetime=None))
        reports = list(Generator(seed=seed, now=now).reports(stolen))
        for start in range(0, len(reports), 5000):
            add_reports_bulk(db.session, reports[start : start + 5000], now=now)
        db.session.commit()
        # Fresh statistics, as autovacuum would have them after a while: without them the
        # planner takes the just-filled tables for empty ones.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return tokens, reports


def _item(report: dict) -> dict:
    item = {"category": report["category"], "price_cents": 1000 + len(report["report_number"])}
    for name in ("brand", "model", "imei", "serial_number", "frame_number"):
        if report.get(name):
            item[name] = report[name]
    return item


def payloads(count: int, reports: list, hit_rate: float, seed: int) -> list[dict]:
    """``count`` registration bodies; about ``hit_rate`` of them hold a reported good."""
    from stolen_db.generator import Generator

    generator = Generator(seed=seed + 1)
    rnd = random.Random(seed)
    acquired = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bodies = []
    for _ in range(count):
        items = [_item(generator.report()) for _ in range(rnd.choice((1, 2, 2, 3)))]
        if reports and rnd.random() < hit_rate:
            items[0] = _item(rnd.choice(reports))
        bodies.append(
            {
                "acquired_at": acquired,
                "seller": {
                    "name": "Jan de Vries",
                    "birth_date": "1990-04-01",
                    "address": {
                        "street": "Kerkstraat",
                        "house_number": str(rnd.randint(1, 300)),
                        "postcode": "1017 GC",
                        "city": "Amsterdam",
                    },
                    "id_document": {
                        "type": "id_card",
                        "number": f"IXF{rnd.randint(100000, 999999)}",
                        "issuing_country": "NL",
                    },
                },
                "items": items,
            }
        )
    return bodies


# -- measuring ----------------------------------------------------------------------------


def measure(requests_total: int, clients: int, call) -> tuple[float, list[float]]:
    """Run ``call(session, n)`` for n in 0..requests_total-1 over ``clients`` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests_total))
    errors: list[str] = []

    def worker():
        session = requests.Session()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            start = time.perf_counter()
            response = call(session, n)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response is not None and response.status_code >= 300:
                    errors.append(f"{response.status_code} {response.text[:300]}")

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
        f"{name:<36} {count:>6} requests  {rate:>8.1f}/s  "
        f"p50 {percentile(latencies, 0.5) * 1000:7.2f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:7.2f} ms  "
        f"mean {statistics.fmean(latencies) * 1000:7.2f} ms",
        flush=True,
    )
    return rate


def raw_commits(database_url: str, count: int, clients: int) -> tuple[float, list[float]]:
    """The floor: one INSERT + COMMIT per call on a connection per client, no web stack."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        import sqlite3

        def connect():
            conn = sqlite3.connect(url.database, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        def insert(conn):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bench_raw (v) VALUES (?)", ("x" * 64,))
            conn.execute("COMMIT")

        create = "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, v TEXT)"
    else:
        import psycopg

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect():
            return psycopg.connect(dsn)

        def insert(conn):
            conn.execute("INSERT INTO bench_raw (v) VALUES (%s)", ("x" * 64,))
            conn.commit()

        create = "CREATE TABLE IF NOT EXISTS bench_raw (id serial PRIMARY KEY, v text)"
    setup = connect()
    setup.execute(create)
    setup.commit()
    connections = threading.local()

    def call(_session, _n):
        conn = getattr(connections, "conn", None)
        if conn is None:
            conn = connections.conn = connect()
        insert(conn)

    try:
        return measure(count, clients, call)
    finally:
        setup.execute("DROP TABLE bench_raw")
        setup.commit()
        setup.close()


# -- main ---------------------------------------------------------------------------------


def start_server(database_url: str, workers: int, access_log: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REGISTER_RATELIMIT_ENABLED": "false",
        "REGISTER_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "REGISTER_ACCESS_LOG": access_log,
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--log-level", "warning", "register:create_app()"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).ok:
                return server, base
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.time() > deadline or server.poll() is not None:
            server.terminate()
            raise SystemExit("gunicorn did not start")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=1000, help="per measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--dealers", type=int, default=100, help="dealers to spread over")
    parser.add_argument("--stolen", type=int, default=20_000, help="active stolen reports")
    parser.add_argument("--hit-rate", type=float, default=0.05, help="share that makes a hit")
    parser.add_argument("--raw", action="store_true", help="also the bare INSERT+COMMIT floor")
    parser.add_argument(
        "--no-access-log",
        action="store_true",
        help="turn gunicorn's access log off (default: on, as deployed, into a temporary file)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="300 requests, 2000 reports")
    args = parser.parse_args()
    count = 300 if args.quick else args.requests
    stolen = 2000 if args.quick else args.stolen

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        tokens, reports = prepare(database_url, max(1, args.dealers), stolen, args.seed)
        bodies = payloads(2 * count, reports, args.hit_rate, args.seed)
        access_log = "" if args.no_access_log else f"{tmp}/access.log"
        server, base = start_server(database_url, args.workers, access_log)
        try:
            dialect = database_url.split(":", 1)[0]
            print(
                f"gunicorn {args.workers} workers, {args.clients} clients, {dialect}, "
                f"{count} requests per measurement, {len(tokens)} dealers, "
                f"{len(reports)} stolen reports, hit rate {args.hit_rate:.0%}, "
                f"access log {'off' if args.no_access_log else 'on'}"
            )

            def healthz(session, _n):
                return session.get(base + "/healthz")

            def register(session, n, token, offset):
                return session.post(
                    base + "/api/v1/purchases",
                    json=bodies[offset + n],
                    headers={"Authorization": f"Bearer {token(n)}"},
                )

            # Warm-up: imports, connections, caches in every worker.
            measure(40, args.clients, healthz)
            warm = payloads(40, reports, args.hit_rate, args.seed + 7)
            measure(
                40,
                args.clients,
                lambda s, n: s.post(
                    base + "/api/v1/purchases",
                    json=warm[n],
                    headers={"Authorization": f"Bearer {tokens[-1]}"},
                ),
            )
            baseline = report(
                "GET /healthz (baseline)", count, *measure(count, args.clients, healthz)
            )
            one = report(
                "POST /api/v1/purchases, 1 dealer",
                count,
                *measure(count, args.clients, lambda s, n: register(s, n, lambda _: tokens[0], 0)),
            )
            many = report(
                f"POST /api/v1/purchases, {len(tokens)} dealers",
                count,
                *measure(
                    count,
                    args.clients,
                    lambda s, n: register(s, n, lambda k: tokens[k % len(tokens)], count),
                ),
            )
            print(f"ratio, 1 dealer:        {one / baseline:.3f} x the baseline rate")
            print(f"ratio, {len(tokens)} dealers: {many / baseline:>7.3f} x the baseline rate")
        finally:
            server.terminate()
            server.wait(timeout=10)
        if args.raw:
            floor = report(
                "raw INSERT + COMMIT (no web stack)",
                count,
                *raw_commits(database_url, count, args.clients),
            )
            print(f"the bare commit floor runs at {floor / baseline:.2f} x the baseline rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
