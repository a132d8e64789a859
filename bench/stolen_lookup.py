"""Stop Heling matching on SQLite: checks per second per tier against raw sqlite3 lookups.

    python bench/stolen_lookup.py                      # 10k, 100k, 1M and 2M reports
    python bench/stolen_lookup.py --quick              # 10k and 100k
    python bench/stolen_lookup.py --sizes 2000000 --checks 20000

For each size, a SQLite file in bench/data/ holds that many synthetic stolen reports
(``stolen_db.generator``) with the application's schema, normalised columns and matching
keys; it is built once with bulk inserts (executemany, then INSERT ... SELECT ... ORDER BY
for the key index) and reused by later runs.

Then, on the same file and the same sampled identifiers, in the same run:

- **ours**: the application's code path, ``stolen_db.matching`` through a SQLAlchemy
  session: it normalises what was typed, computes keys, runs its lookups and explains each
  candidate (kind, identifier type, confidence);
- **raw**: the same indexed lookups through the bare ``sqlite3`` module with the values
  already normalised / the keys already computed: the floor any implementation pays.

The ratio ours/raw is the figure (1.0 would be no overhead at all). Tiers:

- ``exact``: the identifier typed as the police stored it (``find_matches`` with the
  exact/normalised tiers; raw: one point lookup on the ``*_norm`` index);
- ``normalized``: typed in lower case with dashes (same lookups);
- ``public``: the public check ``is_reported_stolen`` (type unknown: IMEI, serial and frame
  indexes in one statement; raw: that statement);
- ``lookalike``: typed with a look-alike character (O for 0, I for 1, ...), look-alike tier
  (raw: one key lookup);
- ``near``: one typo, with the brand, near tier (raw: the IN lookup of its one-deletion keys);
- ``all tiers``: ``find_matches`` with every tier on the near inputs, as a registered item
  is checked (raw: the norm lookup plus the key lookup);
- ``miss``: an identifier that is not reported, all tiers.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from stolen_db import Base, matching
from stolen_db.generator import Generator
from stolen_db.matching import Identifiers, find_matches, is_reported_stolen
from stolen_db.models import StolenReport
from stolen_db.normalize import LOOKALIKE_FOLDS, lookalike, normalize
from stolen_db.service import report_keys, report_row

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CHUNK = 50_000
REPORT_COLUMNS = [c.name for c in StolenReport.__table__.columns if c.name != "id"]
UNFOLD = {v: k for k, v in LOOKALIKE_FOLDS.items() if k != "|"}  # '0' -> 'O', ...


# -- building the data file ---------------------------------------------------------------


def _sqlite_value(value):
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def build(path: Path, size: int, seed: int) -> float:
    """A SQLite file with ``size`` synthetic reports, the app's schema and indexes."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;"
    )
    # Secondary indexes are made after the bulk load (faster than maintaining them).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='stolen_reports' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("CREATE TEMP TABLE keys_staging (key INTEGER, report_id INTEGER)")
    insert_report = (
        f"INSERT INTO stolen_reports (id, {', '.join(REPORT_COLUMNS)}) "
        f"VALUES (?, {', '.join('?' * len(REPORT_COLUMNS))})"
    )
    generator = Generator(seed, now=NOW)
    next_id = 1
    done = 0
    while done < size:
        n = min(CHUNK, size - done)
        reports, keys = [], []
        for data in generator.reports(n):
            row = report_row(data, NOW)
            reports.append((next_id, *(_sqlite_value(row.get(c)) for c in REPORT_COLUMNS)))
            keys.extend((key, next_id) for key in report_keys(row))
            next_id += 1
        conn.executemany(insert_report, reports)
        conn.executemany("INSERT INTO keys_staging VALUES (?, ?)", keys)
        done += n
        print(f"\r  building {path.name}: {done:,}/{size:,} reports", end="", flush=True)
    print()
    conn.execute(
        "INSERT INTO stolen_report_keys (key, report_id) "
        "SELECT key, report_id FROM keys_staging ORDER BY key, report_id"
    )
    conn.execute("DROP TABLE keys_staging")
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("CREATE TABLE bench_meta (size INTEGER, seed INTEGER)")
    conn.execute("INSERT INTO bench_meta VALUES (?, ?)", (size, seed))
    conn.commit()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return time.perf_counter() - started


def ensure(size: int, seed: int) -> tuple[Path, float | None]:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"stolen_{size}.sqlite"
    if path.exists():
        try:
            conn = sqlite3.connect(path)
            meta = conn.execute("SELECT size, seed FROM bench_meta").fetchone()
            conn.close()
            if meta == (size, seed):
                return path, None
        except sqlite3.Error:
            pass
    return path, build(path, size, seed)


# -- the sample of checks -----------------------------------------------------------------


def _fold_one(value: str, rnd: random.Random) -> str | None:
    """``value`` with one character replaced by its look-alike ('0' -> 'O')."""
    positions = [i for i, ch in enumerate(value) if ch.upper() in UNFOLD]
    if not positions:
        return None
    i = rnd.choice(positions)
    return value[:i] + UNFOLD[value[i].upper()] + value[i + 1 :]


def _typo(value: str, rnd: random.Random) -> str:
    """One substitution of a letter or digit by another of the same kind."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    i = rnd.choice(positions)
    pool = "0123456789" if value[i].isdigit() else "ACDEFGHJKMNPQRTUVWXY"
    ch = rnd.choice([c for c in pool if c != value[i].upper()])
    return value[:i] + ch + value[i + 1 :]


def sample(path: Path, size: int, count: int, seed: int) -> dict[str, list]:
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    ids = rnd.sample(range(1, size + 1), min(count, size))
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += conn.execute(
            "SELECT brand, imei, serial_number, frame_number FROM stolen_reports "
            f"WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    conn.close()
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
        tiers["near"].append((kind, _typo(value, rnd), brand))
        miss = Generator(rnd.randrange(10**9), now=NOW).report()
        tiers["miss"].append(
            ("serial_number", "ZZ" + normalize("serial_number", miss["report_number"]), None)
        )
    return tiers


# -- timing -------------------------------------------------------------------------------


REPEATS = 5


def rates(ours, ours_inputs, raw, raw_inputs) -> tuple[float, float]:
    """Calls per second of ``ours`` and ``raw``, each the best of REPEATS passes over its
    inputs, the passes alternating so that both see the same machine (it is shared)."""
    for value in ours_inputs[: max(1, len(ours_inputs) // 10)]:
        ours(value)
    for value in raw_inputs[: max(1, len(raw_inputs) // 10)]:
        raw(value)
    best = [float("inf"), float("inf")]
    for _ in range(REPEATS):
        for slot, (function, inputs) in enumerate(((ours, ours_inputs), (raw, raw_inputs))):
            started = time.perf_counter()
            for value in inputs:
                function(value)
            best[slot] = min(best[slot], time.perf_counter() - started)
    return len(ours_inputs) / best[0], len(raw_inputs) / best[1]


def measure(path: Path, tiers: dict[str, list]) -> tuple[list, dict[str, int]]:
    engine = create_engine(f"sqlite:///{path}")
    session = Session(engine)
    raw = sqlite3.connect(path)
    results = []

    def ours_tiers(allowed):
        def check(item):
            kind, value, brand = item
            return find_matches(session, Identifiers(**{kind: value}, brand=brand), tiers=allowed)

        return check

    def raw_norm(item):
        kind, norm, _brand = item
        return raw.execute(matching._BY_NORM[kind], (norm,)).fetchall()

    def raw_keys(keys):
        return raw.execute(matching._by_keys_sql(len(keys)), keys).fetchall()

    def raw_norm_and_keys(item):
        kind, norm, keys = item
        rows = raw.execute(matching._BY_NORM[kind], (norm,)).fetchall()
        return rows + raw.execute(matching._by_keys_sql(len(keys)), keys).fetchall()

    def raw_public(params):
        return raw.execute(matching._PUBLIC_SQL, params).fetchall()

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

    exact_tiers = ("exact", "normalized")
    for name, items in (("exact", tiers["exact"]), ("normalized", tiers["normalized"])):
        ours, base = rates(ours_tiers(exact_tiers), items, raw_norm, prepared_norm(items))
        results.append((name, ours, base, len(items)))
    public_items = tiers["exact"]
    ours, base = rates(
        lambda item: is_reported_stolen(session, item[1]),
        public_items,
        raw_public,
        public_params(public_items),
    )
    results.append(("public", ours, base, len(public_items)))
    for name, allowed in (("lookalike", ("lookalike",)), ("near", ("near",))):
        items = tiers[name]
        ours, base = rates(ours_tiers(allowed), items, raw_keys, prepared_keys(items, allowed))
        results.append((name, ours, base, len(items)))
    for name, items in (("all tiers", tiers["near"]), ("miss", tiers["miss"])):
        prepared = [
            (k, normalize(k, v), tuple(matching.query_keys(Identifiers(**{k: v}, brand=b))))
            for k, v, b in items
        ]
        ours, base = rates(ours_tiers(matching.MATCH_KINDS), items, raw_norm_and_keys, prepared)
        results.append((name, ours, base, len(items)))
    # Sanity: the tiers find what they should (a benchmark of wrong answers is worthless).
    found = {
        name: sum(1 for item in tiers[name][:200] if ours_tiers(matching.MATCH_KINDS)(item))
        for name in ("exact", "normalized", "lookalike", "near", "miss")
    }
    session.close()
    engine.dispose()
    raw.close()
    return results, found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000,2000000",
        help="comma-separated report counts (default: 10k, 100k, 1M, 2M)",
    )
    parser.add_argument("--quick", action="store_true", help="10k and 100k reports only")
    parser.add_argument("--checks", type=int, default=5000, help="sampled checks per tier")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    if not sizes or min(sizes) < 1 or args.checks < 10:
        parser.error("sizes must be positive and --checks at least 10")

    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, pid {os.getpid()}")
    summary = []
    for size in sizes:
        path, built = ensure(size, args.seed)
        mb = path.stat().st_size / 1e6
        how = f"built in {built:.0f} s" if built is not None else "reused"
        print(f"\n{size:,} reports: {path.name}, {mb:,.0f} MB ({how})")
        tiers = sample(path, size, args.checks, args.seed + size)
        results, found = measure(path, tiers)
        print(f"  {'tier':<11} {'ours/s':>10} {'raw sqlite3/s':>14} {'ratio':>6} {'µs/check':>9}")
        for name, ours, base, _n in results:
            print(
                f"  {name:<11} {ours:>10,.0f} {base:>14,.0f} {ours / base:>6.2f} {1e6 / ours:>9.1f}"
            )
            summary.append((size, name, ours, base))
        print(
            "  sanity (first 200 inputs with a match, all tiers): "
            + ", ".join(f"{k} {v}/200" for k, v in found.items())
        )
    if len(sizes) > 1:
        print("\nHow cost grows (µs per check, ours / raw):")
        names = list(dict.fromkeys(n for _, n, _, _ in summary))
        print("  " + f"{'tier':<11}" + "".join(f"{s:>18,}" for s in sizes))
        for name in names:
            cells = [
                f"{1e6 / o:>8.1f} /{1e6 / b:>7.1f}"
                for s in sizes
                for (sz, n, o, b) in summary
                if sz == s and n == name
            ]
            print("  " + f"{name:<11}" + "".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
