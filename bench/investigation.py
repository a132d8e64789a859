#!/usr/bin/env python3
"""Police investigation: each search criterion through the API beside the same query on the
bare driver, at 100k and 1M registered items; the low-price alert job beside one SQL
aggregate, with its peak memory.

    python bench/investigation.py                  # SQLite and PostgreSQL, 100k and 1M items
    python bench/investigation.py --quick          # 10k and 50k items

The registers come from ``bench/generate.py``'s register generator (the same identifiers,
sellers, dealers and chain hashes as the national data; at 1M items the national data's
own register rows, when they are there), built once per size into a
database of this benchmark's own (``bench/data/search-i<N>.sqlite``, PostgreSQL
``bench_search_i<N>``) with the search indexes (grams, words) filled as registration fills
them. Stop Heling's reports play no part in a search and are left out.

- **ours**: ``GET /api/v1/search/items`` through the Flask app (test client: the whole WSGI
  stack, the token, the schema, the search, the presenting, the audit entry and the
  commit), as a police officer, 50 results a page;
- **raw**: the same query on the bare driver (``sqlite3`` / ``psycopg``) with the values
  already normalised, the keys computed and the rarest gram or word found: the count (up
  to the API's cap), the page of ids and its rows.

Scale: ours at 1M items beside ours at 100k (target: at most 1.5 times the cost). The alert
job: ``find_low_prices`` over a year of the register (rolled back after), beside the job's
one statement run on the driver; its peak Python memory (tracemalloc) at both sizes.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import generate
from bench.common import DATA, Figure, percentile, pg_create, pg_dsn, pg_exists, pg_url, table
from register.investigation.search import TOTAL_CAP  # a search counts up to it

REGISTER_TABLES = ("municipalities", "dealers", "sellers", "purchases", "items")
INDEX_TABLES = {"item_identifier_grams": "gram", "item_words": "word"}
SAMPLES = 60  # queries per criterion (the first ten warm up)
PER_PAGE = 50


def spec_of(items: int) -> generate.Spec:
    dealers = max(50, round(7000 * items / 1_000_000))
    return generate.Spec(reports=0, items=items, dealers=dealers)


# -- building ---------------------------------------------------------------------------------


def ensure_rows(spec: generate.Spec, log=print) -> Path:
    """The register's rows and their search-index rows (TSV), made once."""
    from register.investigation.indexing import index_rows

    directory = DATA / f"search-rows-{spec.key()}"
    if (directory / "done").exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    national = _national_rows(spec)
    if national is not None:
        log(f"  the register's rows of {spec.items:,} items from {national.name}")
        for name in (*(f"{table}.tsv" for table in REGISTER_TABLES), "item_identifier_keys.bin"):
            (directory / name).unlink(missing_ok=True)
            (directory / name).symlink_to(national / name)
    else:
        log(f"  making the rows of {spec.items:,} items")
        from register import create_app

        # The chain hashes are keyed with the installation's CHAIN_SECRET: an app's config.
        with create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).app_context():
            generate.write_register(directory, spec)
    names = generate.columns("items")
    wanted = ("id", "imei_norm", "serial_norm", "frame_norm", "brand", "model", "description")
    at = [names.index(name) for name in wanted]
    with (
        (directory / "item_identifier_grams.tsv").open("w") as grams,
        (directory / "item_words.tsv").open("w") as words,
    ):
        for row in generate._tsv_rows(directory / "items.tsv"):
            item = SimpleNamespace(**{name: row[i] for name, i in zip(wanted, at, strict=True)})
            item.id = int(item.id)
            gram_rows, word_rows = index_rows([item])
            grams.writelines(f"{g}\t{i}\n" for g, i in gram_rows)
            words.writelines(f"{w}\t{i}\n" for w, i in word_rows)
    (directory / "done").write_text("done")
    log(f"  rows made in {time.perf_counter() - started:.0f} s")
    return directory


def _national_rows(spec: generate.Spec) -> Path | None:
    """The national data's rows made for the same register (its stolen reports aside, the
    register's rows depend only on its sizes and seed), if they are there."""
    register = f"-i{spec.items}-d{spec.dealers}-m{spec.municipalities}-s{spec.seed}"
    prefix = f"rows-{spec.key().split('-r', 1)[0]}-r"
    for found in sorted(DATA.glob(f"{prefix}*{register}")):
        if (found / "done").exists():
            return found
    return None


def sqlite_path(spec) -> Path:
    return DATA / f"search-i{spec.items}.sqlite"


def pg_name(spec) -> str:
    return f"bench_search_i{spec.items}"


def ensure_sqlite(spec, log=print) -> str:
    path = sqlite_path(spec)
    if generate.sqlite_key(path) == spec.key():
        return f"sqlite:///{path}"
    rows = ensure_rows(spec, log)
    started = time.perf_counter()
    generate._remove_sqlite(path)
    generate.create_schema(f"sqlite:///{path}")
    conn = generate._sqlite_bulk_connection(path)
    indexes = generate._sqlite_indexes(conn, REGISTER_TABLES)
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("BEGIN")
    for name in REGISTER_TABLES:
        names = generate.columns(name)
        conn.executemany(
            f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            generate._tsv_rows(rows / f"{name}.tsv"),
        )
    conn.execute("CREATE TEMP TABLE staging_keys (key INTEGER, item_id INTEGER)")
    conn.executemany(
        "INSERT INTO staging_keys VALUES (?3, ?5)",
        generate._key_rows(rows / "item_identifier_keys.bin"),
    )
    conn.execute(
        "INSERT INTO item_identifier_keys SELECT key, item_id FROM staging_keys "
        "ORDER BY key, item_id"
    )
    for name, column in INDEX_TABLES.items():
        conn.execute(f"CREATE TEMP TABLE staging_{name} ({column} TEXT, item_id INTEGER)")
        conn.executemany(
            f"INSERT INTO staging_{name} VALUES (?, ?)", generate._tsv_rows(rows / f"{name}.tsv")
        )
        conn.execute(
            f"INSERT INTO {name} SELECT {column}, item_id FROM staging_{name} "
            f"ORDER BY {column}, item_id"
        )
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    generate._meta(conn, spec.key())
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    log(f"  {path.name} loaded in {time.perf_counter() - started:.0f} s")
    return f"sqlite:///{path}"


def ensure_postgres(spec, log=print) -> str:
    name = pg_name(spec)
    if pg_exists(name) and generate.pg_key(name) == spec.key():
        return pg_url(name)
    rows = ensure_rows(spec, log)
    started = time.perf_counter()
    pg_create(name)
    url = pg_url(name)
    generate.create_schema(url)
    with generate._pg_connect(url) as conn:
        again = generate._pg_deferred_ddl(
            conn, (*REGISTER_TABLES, "item_identifier_keys", *INDEX_TABLES)
        )
        for table_name in INDEX_TABLES:
            conn.execute(f"ALTER TABLE {table_name} DROP CONSTRAINT pk_{table_name}")
            again.append(
                f"ALTER TABLE {table_name} ADD CONSTRAINT pk_{table_name} PRIMARY KEY "
                f"({INDEX_TABLES[table_name]}, item_id)"
            )
        for table_name in REGISTER_TABLES:
            generate._pg_copy(
                conn, table_name, rows / f"{table_name}.tsv", False, generate.columns(table_name)
            )
        generate._pg_copy(
            conn, "item_identifier_keys", rows / "item_identifier_keys.bin", True,
            ["key", "item_id"],
        )  # fmt: skip
        for table_name, column in INDEX_TABLES.items():
            generate._pg_copy(
                conn, table_name, rows / f"{table_name}.tsv", False, [column, "item_id"]
            )
        for ddl in again:
            conn.execute(ddl)
        for table_name in REGISTER_TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table_name}), false)"
            )
        conn.execute("VACUUM ANALYZE")
        generate._meta(conn, spec.key(), "%s")
    log(f"  {name} loaded in {time.perf_counter() - started:.0f} s")
    return url


# -- the queries ------------------------------------------------------------------------------

_SAMPLE_SQL = """
SELECT i.id, i.imei, i.serial_number, i.frame_number, i.brand, i.model, i.category,
       i.imei_norm, i.serial_norm, i.frame_norm, s.id_document_number, s.name, s.birth_date,
       s.postcode, p.acquisition_date, d.municipality_id, m.code
FROM items i JOIN purchases p ON p.id = i.purchase_id JOIN sellers s ON s.id = p.seller_id
JOIN dealers d ON d.id = i.dealer_id JOIN municipalities m ON m.id = d.municipality_id
WHERE i.id IN ({ids})
"""

_FROM = "FROM items i JOIN purchases p ON p.id = i.purchase_id"
_SELLERS = " JOIN sellers s ON s.id = p.seller_id"  # for the seller's criteria, as ours
_DETAIL = (
    "SELECT i.*, p.sequence_number, p.acquired_at, p.recorded_at, p.late, d.name, d.city, "
    "s.name, s.birth_date, s.street, s.house_number, s.postcode, s.city, s.country, "
    "s.id_document_type, s.id_document_number, s.id_document_country " + _FROM
    + " JOIN dealers d ON d.id = p.dealer_id LEFT JOIN sellers s ON s.id = p.seller_id"
)  # fmt: skip


def criteria(samples, raw=None) -> dict[str, list[tuple[dict, str, list]]]:
    """Per criterion: (API query, raw WHERE clause, raw parameters) for every sample. With
    ``raw``, a partial identifier's lookup starts from its rarest gram, as ours does
    (weighed here, before the clock runs)."""
    from stolen_db.matching import Identifiers, query_keys
    from stolen_db.normalize import normalize_imei, normalize_serial

    lines: dict[str, list] = {name: [] for name in (
        "identifier", "partial", "document_number", "seller_name + birth_date", "seller_name",
        "postcode", "q (brand, model)", "category + one day", "from/to (one day)",
        "municipality + one day",
    )}  # fmt: skip
    for row in samples:
        typed = row.imei or row.serial_number or row.frame_number
        digits, norm = normalize_imei(typed), normalize_serial(typed)
        keys = sorted(query_keys(Identifiers(typed, typed, typed, row.brand)))
        marks = ", ".join("?" * len(keys))
        lines["identifier"].append((
            {"identifier": typed, "brand": row.brand},
            "i.id IN (SELECT id FROM items WHERE imei_norm = ? UNION SELECT id FROM items "
            "WHERE serial_norm = ? UNION SELECT id FROM items WHERE frame_norm = ? UNION "
            f"SELECT item_id FROM item_identifier_keys WHERE key IN ({marks}))",
            [digits or "-", norm, norm, *keys],
        ))  # fmt: skip
        whole = row.imei_norm or row.serial_norm or row.frame_norm
        part = whole[len(whole) // 2 - 3 : len(whole) // 2 + 3]
        grams = sorted({part[0:4], part[2:6], part[1:5]})
        if raw is not None:
            grams.sort(key=lambda gram: (raw.gram_items(gram), gram))
        joins = " ".join(
            f"JOIN item_identifier_grams g{n} ON g{n}.item_id = g0.item_id AND g{n}.gram = ?"
            for n in range(1, len(grams))
        )
        lines["partial"].append((
            {"partial": part},
            f"i.id IN (SELECT g0.item_id FROM item_identifier_grams g0 {joins} "
            "WHERE g0.gram = ?) AND (i.imei_norm LIKE ? OR i.serial_norm LIKE ? OR "
            "i.frame_norm LIKE ?)",
            [*grams[1:], grams[0], *[f"%{part}%"] * 3],
        ))  # fmt: skip
        lines["document_number"].append((
            {"document_number": row.id_document_number},
            "s.id_document_number = ? AND s.purged_at IS NULL", [row.id_document_number],
        ))  # fmt: skip
        lines["seller_name + birth_date"].append((
            {"seller_name": row.name, "birth_date": str(row.birth_date)[:10]},
            "lower(s.name) = ? AND s.birth_date = ? AND s.purged_at IS NULL",
            [row.name.lower(), row.birth_date],
        ))  # fmt: skip
        lines["seller_name"].append((
            {"seller_name": row.name}, "lower(s.name) = ? AND s.purged_at IS NULL",
            [row.name.lower()],
        ))  # fmt: skip
        postcode = row.postcode.replace(" ", "").upper()
        lines["postcode"].append((
            {"postcode": row.postcode},
            "upper(replace(s.postcode, ' ', '')) = ? AND s.purged_at IS NULL", [postcode],
        ))  # fmt: skip
        found = sorted({w.lower() for w in f"{row.brand} {row.model}".split() if w.isalnum()})
        if raw is not None:  # as ours: from the rarest word's items, newest first
            found.sort(key=lambda word: (raw.word_items(word), word))
        lines["q (brand, model)"].append((
            {"q": " ".join(found)},
            " AND ".join(
                ["w0.word = ?"] + ["EXISTS (SELECT 1 FROM item_words w WHERE w.word = ? AND "
                                   "w.item_id = i.id)"] * (len(found) - 1)
            ),
            found,
            {"join": "JOIN item_words w0 ON w0.item_id = i.id", "order": "w0.item_id"},
        ))  # fmt: skip
        day = row.acquisition_date
        lines["category + one day"].append((
            {"category": row.category, "from": str(day)[:10], "to": str(day)[:10]},
            "i.category = ? AND p.acquisition_date >= ? AND p.acquisition_date <= ?",
            [row.category, day, day],
        ))  # fmt: skip
        lines["from/to (one day)"].append((
            {"from": str(day)[:10], "to": str(day)[:10]},
            "p.acquisition_date >= ? AND p.acquisition_date <= ?", [day, day],
        ))  # fmt: skip
        lines["municipality + one day"].append((
            {"municipality": row.code, "from": str(day)[:10], "to": str(day)[:10]},
            "p.dealer_id IN (SELECT id FROM dealers WHERE municipality_id = ?) AND "
            "p.acquisition_date >= ? AND p.acquisition_date <= ?",
            [row.municipality_id, day, day],
        ))  # fmt: skip
    return lines


class Raw:
    """The bare driver on one database."""

    def __init__(self, url: str):
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            import psycopg

            self.conn = psycopg.connect(pg_dsn(url), autocommit=True)
        else:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"))

    def rows(self, sql: str, params=()) -> list:
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self.conn.execute(sql, params).fetchall()

    def gram_items(self, gram: str, cap: int = 200) -> int:
        """How many items have ``gram``, counted up to ``cap``."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM item_identifier_grams WHERE gram = ? LIMIT "
        return self.rows(f"{sql}{cap}) g", [gram])[0][0]

    def word_items(self, word: str, cap: int = 1000) -> int:
        """How many items have ``word``, counted up to ``cap``."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM item_words WHERE word = ? LIMIT "
        return self.rows(f"{sql}{cap}) w", [word])[0][0]

    def search(self, where: str, params: list, join: str = "", order: str = "i.id") -> int:
        """Count (up to the API's cap), page of ids, the page's rows: what a search
        answers."""
        if re.search(r"\bs\.", where):
            join += _SELLERS
        (total,) = self.rows(
            f"SELECT count(*) FROM (SELECT 1 {_FROM} {join} WHERE {where} LIMIT "
            f"{TOTAL_CAP + 1}) c", params,
        )[0]  # fmt: skip
        ids = [r[0] for r in self.rows(
            f"SELECT i.id {_FROM} {join} WHERE {where} ORDER BY {order} DESC "
            f"LIMIT {PER_PAGE + 1}", params,
        )]  # fmt: skip
        if ids:
            marks = ", ".join("?" * len(ids[:PER_PAGE]))
            self.rows(f"{_DETAIL} WHERE i.id IN ({marks})", ids[:PER_PAGE])
        return min(total, TOTAL_CAP)


def samples_of(raw: Raw, count: int, seed: int = 21) -> list:
    (highest,) = raw.rows("SELECT max(id) FROM items")[0]
    ids = random.Random(seed).sample(range(1, highest + 1), count)
    names = [
        "id", "imei", "serial_number", "frame_number", "brand", "model", "category",
        "imei_norm", "serial_norm", "frame_norm", "id_document_number", "name", "birth_date",
        "postcode", "acquisition_date", "municipality_id", "code",
    ]  # fmt: skip
    rows = raw.rows(_SAMPLE_SQL.format(ids=", ".join(map(str, ids))))
    return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in rows]


def app_for(url: str):
    from register import create_app
    from register.accounts.service import create_user, issue_token
    from register.extensions import db
    from register.transactions import unit_of_work

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
        "POLICE_WEBHOOK_SECRET": "whsec_bench", "WTF_CSRF_ENABLED": False,
    })  # fmt: skip
    with app.app_context(), unit_of_work():
        from register.accounts.models import User

        user = db.session.query(User).filter_by(email="bench-police@example.nl").one_or_none()
        if user is None:
            user = create_user(
                db.session, email="bench-police@example.nl", password="bench police pass",  # noqa: S106
                role="police", now=generate.NOW,
            )  # fmt: skip
        token = issue_token(db.session, user, now=generate.NOW, lifetime=None)
    return app, {"Authorization": f"Bearer {token}"}


def measure_search(url: str, label: str, size: int) -> dict[str, tuple[float, float, float]]:
    """Per criterion: (our p50, our p99, raw p50) in milliseconds."""
    raw = Raw(url)
    lines = criteria(samples_of(raw, SAMPLES), raw)
    app, headers = app_for(url)
    client = app.test_client()
    result = {}
    for name, queries in lines.items():
        ours, bare = [], []
        for query, where, params, *extra in queries:
            started = time.perf_counter()
            response = client.get(
                "/api/v1/search/items",
                query_string={**query, "purpose": "bench", "per_page": PER_PAGE},
                headers=headers,
            )
            ours.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code} {response.get_json()}")
            started = time.perf_counter()
            total = raw.search(where, params, **(extra[0] if extra else {}))
            bare.append(time.perf_counter() - started)
            # An identifier's key candidates that are no match (two edits) count in raw only.
            if total != response.get_json()["total"] and name != "identifier":
                raise RuntimeError(f"{name}: {total} raw, {response.get_json()['total']} ours")
        ours, bare = ours[10:], bare[10:]  # the first ten warm up
        result[name] = (
            1000 * percentile(ours, 0.5), 1000 * percentile(ours, 0.99),
            1000 * percentile(bare, 0.5),
        )  # fmt: skip
    return result


def measure_job(url: str) -> tuple[float, float, float, int]:
    """(our seconds, raw seconds, our peak MiB, alerts) for the low-price job over a year."""
    from datetime import timedelta

    from register.extensions import db
    from register.investigation.alerts import LOW_PRICE_SQL, AlertSettings, find_low_prices

    app, _headers = app_for(url)
    config = AlertSettings()
    with app.app_context():
        tracemalloc.start()
        started = time.perf_counter()
        raised = find_low_prices(db.session, now=generate.NOW, config=config)
        ours = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        db.session.rollback()
    raw = Raw(url)
    since = generate.NOW - timedelta(days=config.low_price_window_days)
    stored = since.replace(tzinfo=None).isoformat(" ", "microseconds")  # SQLite's form
    params = {
        "since": since if raw.postgres else stored,
        "min_samples": config.low_price_min_samples, "after": 0, "upto": 2**31,
        "ratio": config.low_price_ratio,
    }  # fmt: skip
    sql = LOW_PRICE_SQL
    for name in params:
        sql = sql.replace(f":{name}", f"%({name})s" if raw.postgres else f":{name}")
    started = time.perf_counter()
    rows = raw.conn.execute(sql, params).fetchall()
    bare = time.perf_counter() - started
    if len(rows) != raised:
        raise RuntimeError(f"the job raised {raised} alerts, the aggregate found {len(rows)}")
    return ours, bare, peak, raised


def measure(databases=("sqlite", "postgres"), sizes=(100_000, 1_000_000), log=print):
    figures: list[Figure] = []
    small, large = sizes
    for database in databases:
        label = "SQLite" if database == "sqlite" else "PostgreSQL"
        found, jobs = {}, {}
        for size in sizes:
            spec = spec_of(size)
            url = ensure_sqlite(spec, log) if database == "sqlite" else ensure_postgres(spec, log)
            log(f"{label}: searches at {size:,} items")
            found[size] = measure_search(url, label, size)
            log(f"{label}: the low-price job at {size:,} items")
            jobs[size] = measure_job(url)
        for name, (p50, p99, raw50) in found[large].items():
            figures.append(Figure(
                label, "search", f"{name}: p50 ms at {large:,} items", p50, raw50,
                "bare driver, same query", 0.3,
                f"p99 {p99:.1f} ms (raw p50 {raw50:.2f} ms)", higher_is_better=False,
            ))  # fmt: skip
            small50 = found[small][name][0]
            figures.append(Figure(
                label, "search", f"{name}: p50 ms, {large:,} vs {small:,} items", p50, small50,
                f"ours at {small:,} items", 1 / 1.5, "at most 1.5 times the cost",
                higher_is_better=False,
            ))  # fmt: skip
        ours, bare, peak, raised = jobs[large]
        figures.append(Figure(
            label, "alerts", f"low-price job over a year, s ({large:,} items)", ours, bare,
            "one SQL aggregate (bare driver)", None, f"{raised:,} alerts raised",
            higher_is_better=False,
        ))  # fmt: skip
        figures.append(Figure(
            label, "alerts", f"low-price job peak memory, MiB ({large:,} items)", peak,
            jobs[small][2], f"at {small:,} items", None,
            "tracemalloc peak of the job's Python", higher_is_better=False,
        ))  # fmt: skip
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 50k items")
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    sizes = (10_000, 50_000) if args.quick else (100_000, 1_000_000)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    print(table(measure(databases, sizes)))


if __name__ == "__main__":
    main()
