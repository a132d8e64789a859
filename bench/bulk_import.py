#!/usr/bin/env python3
"""Bulk import of N items (100,000 by default) as an import job, beside a raw
``executemany`` of the same rows into the same tables; another dealer's registrations
meanwhile; a file of the synchronous threshold within one request.

On a copy of a generated national database, a new dealer's CSV file of N items in purchases
of one to three items is queued as an import job and run by a real notification worker
process (``flask --app register worker``): every row validated, then every purchase
numbered, chained, checked against Stop Heling with every tier and stored, in chunks of
``IMPORT_CHUNK_ROWS``. The figure is the time from queued to succeeded (the job's own
timestamps). Then the rows it stored (sellers, purchases, items, item keys) are inserted
again, as they are, into a second copy of the same database with the bare driver's
``executemany`` in one transaction: the floor of writing those rows, with nothing computed.
Both sides write into a database in the same state.

While the job runs, another dealer registers one purchase after another through gunicorn
(a pause of 0.1 s between): the longest wait is what a dealer at the counter sees while
someone else imports (target: about a second on SQLite, no wait on PostgreSQL). Before the
job, a file of ``IMPORT_SYNC_MAX_ROWS`` rows is posted once and stored within its request.

On SQLite both sides start from an empty write-ahead log. The tables declare foreign keys;
PostgreSQL checks them on every insert, the baseline's included; SQLite checks them on a
connection that asks, as every connection of the service does, so the SQLite baseline asks
too. Before that, on the same copy and rolled back, it inserts them once without the checks;
that time is in the note.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, pg_dsn, table

HEADER = [
    "purchase_ref", "acquired_at", "seller_name", "seller_birth_date", "seller_street",
    "seller_house_number", "seller_postcode", "seller_city", "id_document_type",
    "id_document_number", "id_document_country", "category", "brand", "model", "description",
    "price_cents", "imei", "serial_number", "frame_number",
]  # fmt: skip


def csv_text(count: int, seed: int, acquired_at: datetime) -> str:
    from stolen_db.generator import Generator

    rnd = random.Random(seed)
    goods = Generator(seed, start=70_000_000)
    lines = [",".join(HEADER)]
    written = purchase = 0
    when = acquired_at.isoformat()
    while written < count:
        purchase += 1
        seller = [f"Verkoper {purchase}", "1985-06-15", "Kerkstraat", str(1 + purchase % 200),
                  "1017 GC", "Amsterdam", "id_card", f"IX{purchase:08d}", "NL"]  # fmt: skip
        for _ in range(min(rnd.choice((1, 1, 1, 2, 3)), count - written)):
            data = goods.report()
            lines.append(",".join([
                f"P{purchase}", when, *seller, data["category"], data["brand"], data["model"],
                data["description"].replace(",", " "), str(rnd.randrange(500, 150_000)),
                data["imei"] or "", data["serial_number"] or "", data["frame_number"] or "",
            ]))  # fmt: skip
            written += 1
    return "\n".join(lines) + "\n"


def new_dealer(session, name: str) -> int:
    from sqlalchemy import insert

    from register.dealers.models import Dealer

    now = datetime.now(UTC)
    table = Dealer.__table__
    return session.execute(
        insert(table)
        .values(name=name, kvk_number="99999999", kind="commercial", country="NL",
                municipality_id=1, status="active", created_at=now, activated_at=now,
                last_sequence_number=0)
        .returning(table.c.id)
    ).scalar_one()  # fmt: skip


def empty_log(url: str) -> None:
    """Checkpoint SQLite's write-ahead log to the end and empty it, waiting for a checkpoint
    already running (the service's thread after the import's commit)."""
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=5)
    try:
        for _ in range(100):
            busy, log_frames, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy and log_frames in (0, done):
                return
            time.sleep(0.1)
        raise RuntimeError("the write-ahead log could not be emptied")
    finally:
        conn.close()


def connect(url: str):
    """The bare driver's connection; SQLite as the service's import writes (no sync at commit
    in WAL mode, no checkpoint inside the commit, foreign keys checked, the bulk page
    cache)."""
    if url.startswith("postgresql"):
        import psycopg

        return psycopg.connect(pg_dsn(url))
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _insert_all(conn, statements: dict[str, str], rows: dict[str, list], *, keep: bool) -> float:
    """SQLite: every table's rows with ``executemany`` in one transaction; the seconds up to
    and with its commit, or (``keep`` false) up to its rollback."""
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for name, statement in statements.items():
        conn.executemany(statement, rows[name])
    if keep:
        conn.execute("COMMIT")
        return time.perf_counter() - started
    seconds = time.perf_counter() - started
    conn.execute("ROLLBACK")
    return seconds


def raw_copy(url: str, raw_url: str, dealer_id: int) -> tuple[float, int, float | None]:
    """Insert the rows ``dealer_id``'s import stored in ``url`` (sellers, purchases, items,
    item keys) into ``raw_url``, a copy of that database as it was before the import, with
    the bare driver's executemany in one transaction; (seconds, rows, seconds without the
    foreign-key checks: SQLite only, else None)."""
    from sqlalchemy import create_engine

    from bench.generate import columns

    postgres = url.startswith("postgresql")
    mark = "%s" if postgres else "?"
    tables = {name: columns(name) for name in ("sellers", "purchases", "items")}
    source = connect(url)
    stored = {
        name: source.execute(
            f"SELECT {', '.join(cols)} FROM {name} WHERE dealer_id = {mark} ORDER BY id",
            (dealer_id,),
        ).fetchall()
        for name, cols in tables.items()
    }
    stored["item_identifier_keys"] = source.execute(
        f"SELECT k.key, k.item_id FROM item_identifier_keys k JOIN items i ON i.id = k.item_id "
        f"WHERE i.dealer_id = {mark} ORDER BY k.key, k.item_id",  # the fastest order
        (dealer_id,),
    ).fetchall()
    source.close()
    statements = {
        name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
        for name, cols in {**tables, "item_identifier_keys": ["key", "item_id"]}.items()
    }
    # The same dealer as in the import's copy; the same id, as the copies were alike.
    engine = create_engine(raw_url)
    with engine.begin() as setup:
        dealer = new_dealer(setup, "Bench import")
    engine.dispose()
    if dealer != dealer_id:
        raise RuntimeError(f"the copies differ: dealer {dealer} here, {dealer_id} there")
    conn = connect(raw_url)
    unchecked = None
    if postgres:
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            for name, statement in statements.items():
                cursor.executemany(statement, stored[name])
        seconds = time.perf_counter() - started
    else:
        conn.execute("PRAGMA foreign_keys=OFF")
        empty_log(raw_url)
        unchecked = _insert_all(conn, statements, stored, keep=False)
        conn.execute("PRAGMA foreign_keys=ON")
        empty_log(raw_url)
        seconds = _insert_all(conn, statements, stored, keep=True)
    conn.close()
    return seconds, sum(len(v) for v in stored.values()), unchecked


def _worker(url: str):
    """``flask --app register worker`` on ``url``, looking for import jobs every 0.1 s; its
    log goes to a temporary file (``process.log``), read if it fails."""
    import subprocess
    import tempfile

    from bench.common import ROOT

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGISTER_")},
        "DATABASE_URL": url,
        "REGISTER_IMPORT_POLL_SECONDS": "0.1",
        "REGISTER_POLICE_WEBHOOK_URL": "http://127.0.0.1:9/webhook",  # refused at once
        "PYTHONPATH": str(ROOT),
    }
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed after the worker stops
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "register", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
    )  # fmt: skip
    process.log = log
    return process


def _registrations(
    base: str,
    token: str,
    bodies: list[dict],
    until,
    stop_after: int | None = None,
    refused: list[int] | None = None,
) -> list[float]:
    """Another dealer's registrations one after another (a pause of 0.1 s between), until
    ``until()`` or ``stop_after`` of them: each one's seconds. A refusal's status goes to
    ``refused`` (when given) and the sampling goes on; without it, a refusal stops the run."""
    import requests

    latencies = []
    with requests.Session() as http:
        for body in itertools.cycle(bodies):
            if until() or (stop_after is not None and len(latencies) >= stop_after):
                break
            started = time.perf_counter()
            response = http.post(
                base + "/api/v1/purchases",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                if refused is None:
                    status, text = response.status_code, response.text
                    raise RuntimeError(f"registration failed: {status} {text}")
                refused.append(response.status_code)
            time.sleep(0.1)
    return latencies


def _request_import(base: str, token: str, seed: int) -> tuple[int, float]:
    """A file of ``IMPORT_SYNC_MAX_ROWS`` rows posted once: (rows, seconds to its 201)."""
    import requests

    from register import config

    rows = config.IMPORT_SYNC_MAX_ROWS
    text = csv_text(rows, seed + 1, datetime.now(UTC) - timedelta(minutes=30))
    started = time.perf_counter()
    response = requests.post(
        base + "/api/v1/purchases/import",
        data=text.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=120,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"the synchronous import failed: {response.status_code}")
    return rows, seconds


def measure(url: str, raw_url: str | None, *, count: int, seed: int = 5) -> list[Figure]:
    """``url`` and ``raw_url``: two copies of the same database (both are written to);
    without ``raw_url`` the import's line has no baseline (a database of any size)."""
    import threading

    from sqlalchemy import func, select

    from bench.common import gunicorn, percentile
    from bench.register_purchases import payloads, prepare_tokens
    from register import create_app
    from register.dealers.models import Dealer
    from register.extensions import db
    from register.hits.models import Hit
    from register.imports.models import ImportJob
    from register.imports.service import create_job
    from register.purchases.importer import parse

    logging.disable(logging.INFO)
    # The benchmark writes as the service does (on SQLite a transaction takes the write lock
    # when it begins: a read that later writes fails once the worker wrote in between) and
    # watches the job with reads that never take it, or the import and the other dealer
    # would wait for the benchmark itself.
    writer = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False})  # fmt: skip
    now = datetime.now(UTC)
    text = csv_text(count, seed, now - timedelta(minutes=30))
    groups = parse(text)
    (token,) = prepare_tokens(url, 1, seed)  # another dealer, registering meanwhile
    with writer.app_context():
        session = db.session
        dealer_id = new_dealer(session, "Bench import")
        hits_before = session.scalar(select(func.count(Hit.id)))
        session.commit()
    bodies = payloads(500, seed)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    worker = _worker(url)
    try:
        with gunicorn(url, workers=1) as (base, _server):
            idle = _registrations(base, token, bodies[:30], lambda: False, stop_after=30)
            sync_rows, sync_seconds = _request_import(base, token, seed)
            if not url.startswith("postgresql"):
                empty_log(url)
            with writer.app_context():
                session = db.session
                job = create_job(session, session.get(Dealer, dealer_id), text, groups,
                                 now=datetime.now(UTC), user_id=None)  # fmt: skip
                job_id = job.id
                session.commit()
                session.remove()
                db.engine.dispose()
            with app.app_context():
                session = db.session
                finished = threading.Event()
                during: list[float] = []
                refused: list[int] = []
                sampler = threading.Thread(target=lambda: during.extend(
                    _registrations(base, token, bodies[30:], finished.is_set,
                                   refused=refused)))  # fmt: skip
                sampler.start()
                while True:
                    time.sleep(0.05)
                    session.rollback()
                    job = session.get(ImportJob, job_id, populate_existing=True)
                    if job.status in ("succeeded", "failed"):
                        break
                    session.rollback()  # no read transaction held while sleeping
                    if worker.poll() is not None:
                        worker.log.seek(0)
                        raise RuntimeError("the worker stopped: " + worker.log.read()[-2000:])
                finished.set()
                sampler.join()
                if job.status != "succeeded":
                    raise RuntimeError(f"the import job failed: {job.detail} {job.errors}")
                seconds = (job.finished_at - job.created_at).total_seconds()
                purchases, items = job.purchases, job.items
                hits = session.scalar(select(func.count(Hit.id))) - hits_before
                session.remove()
                db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        worker.log.close()
    assert items == count
    raw_seconds, rows, unchecked = (
        raw_copy(url, raw_url, dealer_id) if raw_url else (float("inf"), 0, None)
    )
    floor = "" if unchecked is None else (
        f"; without the foreign-key checks the raw inserts took {unchecked:.1f} s "
        f"(ratio {unchecked / seconds:.2f})"
    )  # fmt: skip
    return [
        Figure(database, f"a file of {sync_rows:,} rows (the threshold) stored within one "
               "request", "seconds", sync_seconds, 30.0,
               "gunicorn's timeout (REGISTER_WORKER_TIMEOUT, s)", None, higher_is_better=False,
               note="the largest file the import stores synchronously, through gunicorn"),
        Figure(database, f"bulk import as a job, {count:,} items ({purchases:,} purchases)",
               "items/s", count / seconds, count / raw_seconds,
               "raw executemany of the same rows, foreign keys checked, items/s", 0.2,
               note=f"{seconds:.1f} s from queued to succeeded (worker process) vs "
                    f"{raw_seconds:.1f} s for {rows:,} rows (sellers, purchases, items, item "
                    f"keys); {hits:,} hits recorded{floor}"),
        Figure(database, f"another dealer's registration during that import ({len(during)} "
               "sent one by one)", "max latency (ms)", max(during) * 1000, max(idle) * 1000,
               "max latency without an import (ms)", None, higher_is_better=False,
               note=f"p50 {percentile(during, 0.5) * 1000:.0f} ms, p99 "
                    f"{percentile(during, 0.99) * 1000:.0f} ms during the import; p50 "
                    f"{percentile(idle, 0.5) * 1000:.0f} ms without; refused: "
                    f"{', '.join(map(str, refused)) or 'none'}"),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a copy of a generated database")
    parser.add_argument("--raw-database-url", help="another copy of the same (the baseline)")
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(table(measure(args.database_url, args.raw_database_url, count=args.items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
