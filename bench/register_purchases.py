#!/usr/bin/env python3
"""Purchase registrations through the HTTP API under gunicorn, beside a trivial endpoint.

Serves the app with gunicorn (the project's ``gunicorn.conf.py``, 2 workers) on a database
from ``bench/generate.py`` (a national register: thousands of dealers, a million items,
millions of stolen reports) and measures in the same run:

- the baseline: ``GET /healthz`` (routing, security headers, JSON; no database), as many
  requests as registrations, the two loads taking turns in five rounds;
- ``POST /api/v1/purchases`` with one seller and one to three items (validation, numbering
  under the dealer's lock, the hash chain, a Stop Heling check of every item with every
  tier), sent by many dealers at once, each with its own token: the national picture,
  where no single dealer's lock is the bottleneck.

It prints requests per second, p50/p99 latency, the ratio of each round (how far the
machine's speed moved within the run), the CPU each request cost the web workers, the
client threads and a PostgreSQL server on this machine, and the peak resident memory
(VmHWM) of the gunicorn workers. The database is changed by the run: use a copy (run_all
does).

    python bench/register_purchases.py --database-url sqlite:///bench/data/copy.sqlite
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import secrets
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Figure,
    children,
    cpu_seconds,
    gunicorn,
    peak_rss,
    percentile,
    postgres_server_pids,
    table,
)


def prepare_tokens(database_url: str, dealers: int, seed: int) -> list[str]:
    """A dealer user with a long-lived token for ``dealers`` random active dealers."""
    from sqlalchemy import create_engine, insert, select

    from register.accounts.models import ApiToken, User
    from register.accounts.service import TOKEN_PREFIX
    from register.dealers.models import Dealer

    engine = create_engine(database_url)
    now = datetime.now(UTC)
    tokens = []
    with engine.begin() as conn:
        ids = conn.scalars(
            select(Dealer.id).where(Dealer.status == "active", Dealer.kind == "commercial")
        ).all()
        stamp = secrets.token_hex(4)
        for dealer_id in random.Random(seed).sample(ids, min(dealers, len(ids))):
            user_id = conn.execute(
                insert(User.__table__)
                .values(
                    email=f"bench-{stamp}-{dealer_id}@example.nl",
                    password_hash="!",  # noqa: S106 - no password: the token is the way in
                    role="dealer",
                    dealer_id=dealer_id,
                    is_active_account=True,
                    created_at=now,
                )
                .returning(User.__table__.c.id)
            ).scalar_one()
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            conn.execute(
                insert(ApiToken.__table__).values(
                    user_id=user_id,
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    kind="long_lived",
                    label="bench",
                    created_at=now,
                )
            )
            tokens.append(token)
    engine.dispose()
    return tokens


FIRST_NAMES = ("Jan", "Fatima", "Daan", "Sanne", "Mohamed", "Emma", "Kevin", "Lotte", "Ahmet")
LAST_NAMES = ("de Vries", "Jansen", "Bakker", "El Amrani", "Visser", "Yilmaz", "Smit", "Meijer")
STREETS = ("Kerkstraat", "Dorpsweg", "Stationsplein", "Molenlaan", "Havenkade")


def seller(rnd: random.Random) -> dict:
    """A seller with a document number of their own (Dutch ID cards: two letters, then seven
    letters or digits)."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = "".join(rnd.choice(letters) for _ in range(2)) + "".join(
        rnd.choice(letters + "0123456789") for _ in range(7)
    )
    return {
        "name": f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}",
        "birth_date": f"{rnd.randrange(1950, 2006)}-{rnd.randrange(1, 13):02d}-"
        f"{rnd.randrange(1, 29):02d}",
        "address": {
            "street": rnd.choice(STREETS),
            "house_number": str(rnd.randrange(1, 300)),
            "postcode": f"{rnd.randrange(1000, 10000)} {rnd.choice(letters)}{rnd.choice(letters)}",
            "city": "Amsterdam",
        },
        "id_document": {"type": "id_card", "number": number, "issuing_country": "NL"},
    }


def payloads(count: int, seed: int) -> list[dict]:
    """Registrations of goods as dealers buy them: identifiers from the generator, most
    sellers selling once and one in ten coming back (so some make frequent-seller alerts)."""
    from stolen_db.generator import Generator

    rnd = random.Random(seed)
    goods = Generator(seed, start=90_000_000)
    acquired = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    sellers: list[dict] = []
    out = []
    for _ in range(count):
        items = []
        for _ in range(rnd.choice((1, 1, 1, 2, 3))):
            data = goods.report()
            item = {k: data[k] for k in ("category", "brand", "model", "description")}
            for kind in ("imei", "serial_number", "frame_number"):
                if data[kind]:
                    item[kind] = data[kind]
            item["price_cents"] = rnd.randrange(500, 150_000)
            items.append(item)
        returning = sellers and rnd.random() < 0.1
        sold = rnd.choice(sellers) if returning else seller(rnd)
        sellers.append(sold)
        out.append({"acquired_at": acquired, "seller": sold, "items": items})
    return out


class CpuMeter:
    """CPU seconds spent during the loads by the web workers, this process (the client
    threads) and a PostgreSQL server on this machine: where a request's time goes."""

    def __init__(self, workers: list[int], database_url: str):
        self.workers = workers
        self.server = postgres_server_pids() if database_url.startswith("postgresql") else []
        self.spent = {"web workers": 0.0, "client": 0.0, "PostgreSQL": 0.0}

    def _now(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"web workers": cpu_seconds(self.workers),
                "client": usage.ru_utime + usage.ru_stime,
                "PostgreSQL": cpu_seconds(self.server)}  # fmt: skip

    def __enter__(self):
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        for name, seconds in self._now().items():
            self.spent[name] += seconds - self._start[name]

    def per_request(self, count: int) -> str:
        return ", ".join(f"{name} {seconds / count * 1000:.2f}" for name, seconds
                         in self.spent.items() if seconds > 0)  # fmt: skip


def load(base: str, calls: list, clients: int) -> tuple[float, list[float], list[str]]:
    """Run every ``call(session, base)`` over ``clients`` threads; (wall, latencies, errors)."""
    import requests

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    pending = iter(calls)

    def worker():
        session = requests.Session()
        while True:
            with lock:
                call = next(pending, None)
            if call is None:
                return
            start = time.perf_counter()
            response = call(session, base)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status_code >= 300:
                    errors.append(f"{response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


P99_FLOOR_MS = 100.0  # registrations: at least 0.15 of /healthz, with p99 under this
ROUNDS = 5  # the baseline's and the registrations' loads take turns, this many times each


def measure(
    database_url: str, *, requests_count: int, clients: int = 4, dealers: int = 200, seed=7
) -> list[Figure]:
    tokens = prepare_tokens(database_url, dealers, seed)
    bodies = payloads(requests_count, seed)
    rnd = random.Random(seed)
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"

    def health(session, base):
        return session.get(base + "/healthz")

    def registration(body, token):
        def call(session, base):
            return session.post(
                base + "/api/v1/purchases",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )

        return call

    calls = [registration(body, rnd.choice(tokens)) for body in bodies]
    wall_h = wall_r = 0.0
    lat_h: list[float] = []
    lat_r: list[float] = []
    err_h: list[str] = []
    err_r: list[str] = []
    by_round: list[float] = []  # each round's ratio: how far the machine moved within the run
    with gunicorn(database_url, workers=2) as (base, server):
        warm = [registration(b, rnd.choice(tokens)) for b in payloads(40, seed + 1)]
        load(base, [health] * 40 + warm, clients)  # imports, connections, caches
        # In rounds, the two loads taking turns: both meet the same machine (it is shared,
        # and its speed drifts within seconds), not one a fast minute and the other a slow.
        size = -(-requests_count // ROUNDS)
        workers = children(server.pid)
        cpu_h, cpu_r = CpuMeter(workers, database_url), CpuMeter(workers, database_url)
        for start in range(0, requests_count, size):
            round_calls = calls[start : start + size]
            with cpu_h:
                wall, latencies, errors = load(base, [health] * len(round_calls), clients)
            wall_h, lat_h, err_h = wall_h + wall, lat_h + latencies, err_h + errors
            health_wall = wall
            with cpu_r:
                wall, latencies, errors = load(base, round_calls, clients)
            wall_r, lat_r, err_r = wall_r + wall, lat_r + latencies, err_r + errors
            by_round.append(health_wall / wall)  # the same number of requests each
        memory = max((peak_rss(pid) or 0) for pid in workers) if workers else None
    if err_h or err_r:
        raise RuntimeError(f"{len(err_h) + len(err_r)} failed requests: {(err_h + err_r)[0]}")
    items = sum(len(b["items"]) for b in bodies)
    name = f"registrations via HTTP (gunicorn 2 workers, {clients} clients, {len(tokens)} dealers)"
    return [
        Figure(database, name, "requests/s", requests_count / wall_r,
               requests_count / wall_h, "GET /healthz requests/s", 0.15,
               note=f"{items / wall_r:,.0f} items/s; the ratio by round "
                    f"{', '.join(f'{r:.2f}' for r in by_round)}; CPU ms per registration: "
                    f"{cpu_r.per_request(requests_count)}; per /healthz: "
                    f"{cpu_h.per_request(requests_count)}"),
        Figure(database, name, "p50 latency (ms)", percentile(lat_r, 0.5) * 1000,
               percentile(lat_h, 0.5) * 1000, "GET /healthz p50 (ms)", None,
               higher_is_better=False),
        Figure(database, name, "p99 latency (ms)", percentile(lat_r, 0.99) * 1000,
               P99_FLOOR_MS, "the floor: p99 under 100 ms", 1.0, higher_is_better=False,
               note=f"GET /healthz p99 {percentile(lat_h, 0.99) * 1000:.1f} ms"),
        Figure(database, "peak memory", "web worker VmHWM (MiB)",
               None if memory is None else memory / 2**20, None, "", None,
               note="largest gunicorn worker after the registration load"),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a copy of a generated database")
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--dealers", type=int, default=200)
    args = parser.parse_args(argv)
    figures = measure(
        args.database_url, requests_count=args.requests, clients=args.clients, dealers=args.dealers
    )
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
