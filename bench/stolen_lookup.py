#!/usr/bin/env python3
"""Stop Heling matching: checks per second per tier against raw driver lookups.

    python bench/stolen_lookup.py                       # SQLite, 10k, 100k, 1M and 2M reports
    python bench/stolen_lookup.py --postgres --quick    # PostgreSQL, 10k and 100k

The databases come from ``bench/generate.py`` (built once, cached). On the same database
and the same sampled identifiers, in the same run:

- **ours**: the application's code path, ``stolen_db.matching`` through a SQLAlchemy
  session: it normalises what was typed, computes keys, runs its lookups and explains each
  candidate (kind, identifier type, confidence);
- **raw**: the same indexed lookups through the bare driver (``sqlite3`` / ``psycopg``)
  with the values already normalised and the keys already computed: the floor any
  implementation pays.

Tiers: ``exact`` (typed as stored; raw: one point lookup on the ``*_norm`` index),
``normalized`` (lower case with a dash), ``public`` (``is_reported_stolen``: type unknown,
three indexes in one statement), ``lookalike`` (O for 0 ...; raw: one key lookup), ``near``
(one typo; raw: the IN lookup of its one-deletion keys), ``all tiers`` (``find_matches`` on
the near inputs, as a registered item is checked) and ``miss`` (not reported, all tiers).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, pg_dsn, rates, table
from stolen_db.normalize import LOOKALIKE_FOLDS, lookalike, normalize

UNFOLD = {v: k for k, v in LOOKALIKE_FOLDS.items() if k != "|"}  # '0' -> 'O', ...
TARGETS = {"exact": 0.5, "normalized": 0.5, "public": 0.5}  # the exact-tier lookups


def _fold_one(value: str, rnd: random.Random) -> str | None:
    """``value`` with one character replaced by its look-alike ('0' -> 'O')."""
    positions = [i for i, ch in enumerate(value) if ch.upper() in UNFOLD]
    if not positions:
        return None
    i = rnd.choice(positions)
    return value[:i] + UNFOLD[value[i].upper()] + value[i + 1 :]


def typo(value: str, rnd: random.Random) -> str:
    """One substitution of a letter or digit by another of the same kind."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    i = rnd.choice(positions)
    pool = "0123456789" if value[i].isdigit() else "ACDEFGHJKMNPQRTUVWXY"
    ch = rnd.choice([c for c in pool if c != value[i].upper()])
    return value[:i] + ch + value[i + 1 :]


class Database:
    """One Stop Heling database: a SQLAlchemy session (ours) and a bare driver connection."""

    def __init__(self, url: str, schema: str = "public"):
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        self.postgres = url.startswith("postgresql")
        connect_args = {"options": f"-csearch_path={schema}"} if self.postgres else {}
        self.engine = create_engine(url, connect_args=connect_args)
        self.session = Session(self.engine)
        if self.postgres:
            import psycopg

            self.raw = psycopg.connect(pg_dsn(url), options=f"-csearch_path={schema}")
        else:
            self.raw = sqlite3.connect(url.removeprefix("sqlite:///"))

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def query(self, text: str, params=()) -> list[tuple]:
        return self.raw.execute(self.sql(text), params).fetchall()

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()
        self.raw.close()


def sample(db: Database, size: int, count: int, seed: int) -> dict[str, list]:
    from stolen_db.generator import Generator

    rnd = random.Random(seed)
    ids = rnd.sample(range(1, size + 1), min(count, size))
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += db.query(
            "SELECT brand, imei, serial_number, frame_number FROM stolen_reports "
            f"WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
    rnd.shuffle(rows)
    tiers: dict[str, list] = {k: [] for k in ("exact", "normalized", "lookalike", "near", "miss")}
    for brand, imei, serial, frame in rows:
        kind, value = next(
            (k, v)
            for k, v in (("imei", imei), ("serial_number", serial), ("frame_number", frame))
            if v
        )
        tiers["exact"].append((kind, value, brand))
        norm = normalize(kind, value)
        tiers["normalized"].append((kind, "-".join([norm[:4].lower(), norm[4:]]), brand))
        folded = _fold_one(value, rnd)
        if folded is not None and lookalike(kind, folded) == lookalike(kind, value):
            tiers["lookalike"].append((kind, folded, brand))
        tiers["near"].append((kind, typo(value, rnd), brand))
        miss = Generator(rnd.randrange(10**9)).report()
        tiers["miss"].append(
            ("serial_number", "ZZ" + normalize("serial_number", miss["report_number"]), None)
        )
    return tiers


def measure(
    url: str, schema: str, size: int, *, checks: int, repeats: int, seed: int = 2026
) -> tuple[list[Figure], dict[str, int]]:
    from stolen_db import matching
    from stolen_db.lookup import one_of_args
    from stolen_db.matching import Identifiers, find_matches, is_reported_stolen

    db = Database(url, schema)
    tiers = sample(db, size, checks, seed + size)
    session, raw = db.session, db.raw
    # The statement ours sends for one good's identifier (on PostgreSQL one array).
    single = None if db.postgres else 1
    by_norm = {k: db.sql(matching._norm_lookup_sql(k, single)) for k in matching._NORM_COLUMNS}
    public_sql = db.sql(matching._PUBLIC_SQL)
    results = []

    def ours_tiers(allowed):
        def check(item):
            kind, value, brand = item
            (found,) = find_matches(session, [Identifiers(**{kind: value}, brand=brand)], allowed)
            return found

        return check

    def raw_norm(item):
        kind, norm, _brand = item
        return raw.execute(by_norm[kind], one_of_args([norm], db.postgres)[1]).fetchall()

    def by_keys(keys):
        # The statement and parameters ours sends (on PostgreSQL one array of keys).
        count, params = one_of_args(keys, db.postgres)
        return raw.execute(db.sql(matching._by_keys_sql(count)), params).fetchall()

    def raw_norm_and_keys(item):
        kind, norm, keys = item
        rows = raw.execute(by_norm[kind], one_of_args([norm], db.postgres)[1]).fetchall()
        return rows + by_keys(keys)

    def raw_public(params):
        return raw.execute(public_sql, params).fetchall()

    def prepared_norm(items):
        return [(k, normalize(k, v), b) for k, v, b in items]

    def prepared_keys(items, allowed):
        return [
            tuple(matching.query_keys(Identifiers(**{k: v}, brand=b), allowed)) for k, v, b in items
        ]

    def public_params(items):
        out = []
        for _k, value, _b in items:
            norm = normalize("serial_number", value)
            imei = normalize("imei", value) if norm.isdigit() else "-"
            out.append((imei or "-", norm, norm, "", ""))
        return out

    def run(name, ours, ours_inputs, base, base_inputs):
        mine, floor = rates(ours, ours_inputs, base, base_inputs, repeats)
        results.append((name, mine, floor))

    exact_tiers = ("exact", "normalized")
    for name in ("exact", "normalized"):
        items = tiers[name]
        run(name, ours_tiers(exact_tiers), items, raw_norm, prepared_norm(items))
    items = tiers["exact"]
    run(
        "public",
        lambda item: is_reported_stolen(session, item[1]),
        items,
        raw_public,
        public_params(items),
    )
    for name, allowed in (("lookalike", ("lookalike",)), ("near", ("near",))):
        items = tiers[name]
        run(name, ours_tiers(allowed), items, by_keys, prepared_keys(items, allowed))
    for name, items in (("all tiers", tiers["near"]), ("miss", tiers["miss"])):
        prepared = [
            (k, normalize(k, v), tuple(matching.query_keys(Identifiers(**{k: v}, brand=b))))
            for k, v, b in items
        ]
        run(name, ours_tiers(matching.MATCH_KINDS), items, raw_norm_and_keys, prepared)
    # Sanity: the tiers find what they should (a benchmark of wrong answers is worthless).
    found = {
        name: sum(1 for item in tiers[name][:200] if ours_tiers(matching.MATCH_KINDS)(item))
        for name in ("exact", "normalized", "lookalike", "near", "miss")
    }
    db.close()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    driver = "psycopg" if database == "PostgreSQL" else "sqlite3"
    figures = [
        Figure(
            database,
            f"Stop Heling lookup, {size:,} reports",
            f"{name} checks/s",
            mine,
            floor,
            f"raw {driver} lookups/s",
            TARGETS.get(name),
            note=f"{1e6 / mine:.0f} µs vs {1e6 / floor:.0f} µs",
        )
        for name, mine, floor in results
    ]
    return figures, found


def main(argv=None) -> None:
    from bench import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,2000000")
    parser.add_argument("--quick", action="store_true", help="10k and 100k reports only")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--checks", type=int, default=3000, help="sampled checks per tier")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    spec = generate.Spec(reports=max(sizes), items=10_000 if args.quick else 1_000_000)
    if args.quick:
        spec = generate.Spec(reports=max(sizes), items=10_000, dealers=100, municipalities=10)
    figures = []
    if args.postgres:
        found = generate.ensure_postgres(spec, sizes)
        places = {size: found[size] for size in sizes}
    else:
        found = generate.ensure_sqlite(spec, sizes)
        places = {size: (f"sqlite:///{found[size]}", "main") for size in sizes}
    for size, (url, schema) in places.items():
        result, sanity = measure(url, schema, size, checks=args.checks, repeats=args.repeats)
        figures += result
        print(f"{size:,}: sanity (of 200 inputs, found with all tiers) {sanity}")
    print(table(figures))


if __name__ == "__main__":
    main()
