#!/usr/bin/env python3
"""A national-scale register in a database: municipalities, dealers, stolen reports with their
matching keys, and registered purchases with sellers, items and item keys.

    python bench/generate.py --sqlite bench/data/x.sqlite --reports 2000000 --items 1000000
    python bench/generate.py --postgres bench_national --reports 2000000 --items 1000000

Three steps, each cached:

1. **rows**: the rows are made once, in two processes (Stop Heling; the register), and
   written to ``bench/data/rows-<key>/``: tab-separated text for the wide tables and
   PostgreSQL's binary COPY format for the two key tables (tens of millions of rows of two
   integers, which SQLite reads back with ``struct.iter_unpack`` without parsing text).
   Identifiers come from ``stolen_db.generator`` (IMEIs with real type allocation codes and
   check digits, serials and frame numbers in brand formats), keys from ``stolen_db.keys``
   and register entries carry real chain hashes (``register.purchases.chain``), so the data
   is what the application itself would have stored.
2. **load**: SQLite by ``executemany`` (secondary indexes and the key tables' sort after
   the load); PostgreSQL by ``COPY`` (foreign-key triggers off for the session, indexes and
   the key tables' primary keys built after the load).
3. **derived sizes**: a Stop Heling database with the first N reports (10k, 100k, 1M),
   copied inside the database engine from the full one (SQLite: ATTACH; PostgreSQL: a
   schema ``stolen_<N>`` in the same database).

A built database carries a ``bench_meta`` row with the key (schema revision, generator
version and sizes); a database with another key is rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import shutil
import sqlite3
import struct
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA, pg_create, pg_dsn, pg_exists, pg_url
from stolen_db.key_tables import OWNER_COLUMNS as KEY_TABLES  # table -> owner column

GENERATOR_VERSION = 3
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the moment the data describes
RETENTION_DAYS = 4 * 365  # acquisitions spread over the retention period
_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_TRAILER = struct.pack(">h", -1)
_KEY_ROW = struct.Struct(">hiqii")  # 2 fields: int8 key, int4 id


@dataclass(frozen=True)
class Spec:
    reports: int = 2_000_000
    items: int = 1_000_000
    dealers: int = 7_000
    municipalities: int = 342
    seed: int = 2026

    def key(self) -> str:
        return (
            f"{schema_revision()}-g{GENERATOR_VERSION}-r{self.reports}-i{self.items}"
            f"-d{self.dealers}-m{self.municipalities}-s{self.seed}"
        )


def schema_revision() -> str:
    """A short hash of the DDL of every table and index: a model change rebuilds the data."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from register.extensions import all_metadata

    ddl = []
    for metadata in all_metadata():
        for table in metadata.sorted_tables:
            ddl.append(str(CreateTable(table).compile(dialect=sqlite.dialect())))
            # ``table.indexes`` is a set: sorted, or the hash would change from run to run.
            ddl += sorted(
                str(CreateIndex(i).compile(dialect=sqlite.dialect())) for i in table.indexes
            )
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:10]


def columns(table_name: str) -> list[str]:
    from register.extensions import all_metadata

    for metadata in all_metadata():
        if table_name in metadata.tables:
            return [c.name for c in metadata.tables[table_name].columns]
    raise KeyError(table_name)


# -- step 1: rows -----------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, datetime):
        # Naive UTC in SQLAlchemy's SQLite form; PostgreSQL loads it with TimeZone=UTC.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return str(value)


class _TableWriter:
    def __init__(self, directory: Path, table: str):
        self.columns = columns(table)
        self.handle = open(directory / f"{table}.tsv", "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.buffer: list[str] = []

    def add(self, row: dict) -> None:
        self.buffer.append("\t".join([_text(row.get(c)) for c in self.columns]))
        if len(self.buffer) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            block = "\n".join(self.buffer) + "\n"
            # Generated text never holds tabs, newlines or backslashes (COPY escapes).
            assert "\\" not in block.replace("\\N", ""), "unescaped backslash"
            self.handle.write(block)
            self.buffer.clear()

    def close(self) -> None:
        self.flush()
        self.handle.close()


class _KeyWriter:
    """(key, id) rows in PostgreSQL's binary COPY format."""

    def __init__(self, directory: Path, table: str):
        self.handle = open(directory / f"{table}.bin", "wb")  # noqa: SIM115
        self.handle.write(_PG_HEADER)
        self.buffer = bytearray()
        self.rows = 0

    def add(self, owner_id: int, keys) -> None:
        pack = _KEY_ROW.pack
        for key in sorted(keys):
            self.buffer += pack(2, 8, key, 4, owner_id)
        self.rows += len(keys)
        if len(self.buffer) > 4 << 20:
            self.handle.write(self.buffer)
            self.buffer.clear()

    def close(self) -> None:
        self.handle.write(self.buffer)
        self.handle.write(_PG_TRAILER)
        self.handle.close()


def write_reports(directory: Path, spec: Spec) -> None:
    from stolen_db.generator import Generator
    from stolen_db.service import report_keys, report_row

    reports = _TableWriter(directory, "stolen_reports")
    keys = _KeyWriter(directory, "stolen_report_keys")
    generator = Generator(spec.seed, now=NOW)
    for report_id in range(1, spec.reports + 1):
        row = report_row(generator.report(), NOW)
        row["id"] = report_id
        reports.add(row)
        keys.add(report_id, report_keys(row))
    reports.close()
    keys.close()


FIRST_NAMES = [
    "Jan",
    "Piet",
    "Kees",
    "Fatima",
    "Mohammed",
    "Sanne",
    "Lisa",
    "Daan",
    "Emma",
    "Noah",
    "Sem",
    "Julia",
    "Lucas",
]
LAST_NAMES = [
    "de_Vries",
    "Jansen",
    "de_Jong",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Bos",
    "Mulder",
    "El_Amrani",
]
STREETS = [
    "Kerkstraat",
    "Dorpsstraat",
    "Stationsweg",
    "Molenweg",
    "Schoolstraat",
    "Markt",
    "Havenkade",
]


def write_register(directory: Path, spec: Spec) -> None:
    from register.purchases import chain
    from register.purchases.holding import hold_until, registration_deadline
    from stolen_db.generator import Generator
    from stolen_db.keys import identifier_keys
    from stolen_db.normalize import normalize

    rnd = random.Random(spec.seed + 1)
    identifiers = Generator(spec.seed + 2, start=50_000_000, now=NOW)
    municipalities = _TableWriter(directory, "municipalities")
    rules = SimpleNamespace(
        holding_period=5, holding_period_unit="working_days", registration_grace_working_days=1
    )
    for n in range(1, spec.municipalities + 1):
        municipalities.add(
            {"id": n, "code": f"GM{n:04d}", "name": f"Gemeente {n}", "holding_period": 5,
             "holding_period_unit": "working_days", "registration_grace_working_days": 1,
             "minimum_seller_age": 18, "buyer_required_on_sale": False}
        )  # fmt: skip
    municipalities.close()

    # Purchases per dealer: a few large chains, many small shops (a Pareto-like spread).
    weights = [rnd.paretovariate(1.2) for _ in range(spec.dealers)]
    sizes_pool = [1] * 70 + [2] * 20 + [3] * 6 + [4] * 3 + [5]
    purchase_sizes = []
    remaining = spec.items
    while remaining > 0:
        size = min(rnd.choice(sizes_pool), remaining)
        purchase_sizes.append(size)
        remaining -= size
    owners = rnd.choices(range(spec.dealers), weights=weights, k=len(purchase_sizes))
    per_dealer: list[list[int]] = [[] for _ in range(spec.dealers)]
    for size, owner in zip(purchase_sizes, owners, strict=True):
        per_dealer[owner].append(size)

    dealers = _TableWriter(directory, "dealers")
    sellers = _TableWriter(directory, "sellers")
    purchases = _TableWriter(directory, "purchases")
    items = _TableWriter(directory, "items")
    item_keys = _KeyWriter(directory, "item_identifier_keys")
    today = NOW.date()
    span = RETENTION_DAYS * 86400 - 7200
    holds: dict[date, date] = {}
    deadlines: dict[date, date] = {}
    purchase_id = item_id = 0
    for index, sizes in enumerate(per_dealer):
        dealer_id = index + 1
        municipality_id = rnd.randrange(spec.municipalities) + 1
        times = sorted(NOW - timedelta(seconds=7200 + rnd.randrange(span)) for _ in sizes)
        prev_hash = None
        for sequence, (size, acquired_at) in enumerate(zip(sizes, times, strict=True), 1):
            purchase_id += 1
            recorded_at = acquired_at + timedelta(seconds=rnd.randrange(300, 3 * 3600))
            acquisition_date = (acquired_at + timedelta(hours=1)).date()  # ~ Amsterdam date
            registration_date = (recorded_at + timedelta(hours=1)).date()
            if registration_date not in holds:  # the hold counts from the registration day
                holds[registration_date] = hold_until(registration_date, rules)
            if acquisition_date not in deadlines:
                deadlines[acquisition_date] = registration_deadline(acquisition_date, rules)
            until, deadline = holds[registration_date], deadlines[acquisition_date]
            seller = SimpleNamespace(
                id=purchase_id, dealer_id=dealer_id,
                name=f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES).replace('_', ' ')}",
                birth_date=date(1950 + rnd.randrange(55), 1 + rnd.randrange(12),
                                1 + rnd.randrange(28)),
                street=rnd.choice(STREETS), house_number=str(1 + rnd.randrange(200)),
                postcode=f"{1000 + rnd.randrange(9000)} {rnd.choice('ABCDEFGHJK')}"
                         f"{rnd.choice('ABCDEFGHJK')}",
                city=f"Gemeente {municipality_id}", country="NL",
                id_document_type=rnd.choice(("id_card", "passport", "driving_licence")),
                id_document_number="IX" + "".join(rnd.choices("0123456789ABCDEFGH", k=7)),
                id_document_country="NL", created_at=recorded_at, purged_at=None,
            )  # fmt: skip
            seller.data_hash = chain.digest(chain.seller_data(seller))
            purchase = SimpleNamespace(
                id=purchase_id, dealer_id=dealer_id, sequence_number=sequence,
                acquired_at=acquired_at, acquisition_date=acquisition_date,
                acquisition_type="purchase", seller_id=purchase_id, seller=seller,
                recorded_at=recorded_at, recorded_by_id=None,
                late=recorded_at.date() > deadline, registration_deadline=deadline,
                prev_hash=prev_hash, chain_position=sequence, items=[],
            )  # fmt: skip
            status = "holding" if today <= until else "available"
            for position in range(size):
                item_id += 1
                data = identifiers.report()
                item = SimpleNamespace(
                    id=item_id, purchase_id=purchase_id, dealer_id=dealer_id, position=position,
                    category=data["category"], brand=data["brand"], model=data["model"],
                    description=data.get("description"),
                    price_cents=rnd.randrange(500, 150_000),
                    imei=data["imei"], serial_number=data["serial_number"],
                    frame_number=data["frame_number"], status=status, hold_until=until,
                    created_at=recorded_at,
                )  # fmt: skip
                keys: set[int] = set()
                for kind in ("imei", "serial_number", "frame_number"):
                    value = getattr(item, kind)
                    setattr(item, kind.split("_")[0] + "_norm", normalize(kind, value) or None)
                    keys |= identifier_keys(kind, value, item.brand)
                purchase.items.append(item)
                item_keys.add(item_id, keys)
            purchase.entry_hash = chain.chain_hash(prev_hash, chain.purchase_content(purchase))
            prev_hash = purchase.entry_hash
            sellers.add(vars(seller))
            purchases.add(vars(purchase))
            for item in purchase.items:
                items.add(vars(item))
        dealers.add(
            {"id": dealer_id, "name": f"Opkoper {dealer_id}",
             "kvk_number": f"{10_000_000 + dealer_id}",
             "kind": "thrift" if dealer_id % 20 == 0 else "commercial", "country": "NL",
             "municipality_id": municipality_id, "street": rnd.choice(STREETS),
             "house_number": str(1 + rnd.randrange(200)), "postcode": "1012 AB",
             "city": f"Gemeente {municipality_id}", "status": "active",
             "created_at": NOW - timedelta(days=RETENTION_DAYS + 30),
             "activated_at": NOW - timedelta(days=RETENTION_DAYS + 20),
             "last_sequence_number": len(sizes), "last_chain_position": len(sizes),
             "last_entry_hash": prev_hash}
        )  # fmt: skip
    for writer in (dealers, sellers, purchases, items, item_keys):
        writer.close()


def _run(function, directory, spec):
    """``function`` in an app context: the chain hashes are keyed with the installation's
    CHAIN_SECRET (instance/), the one the benchmarks' apps read."""
    from register import create_app

    with create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).app_context():
        function(directory, spec)


def ensure_rows(spec: Spec, log=print) -> Path:
    """The rows of ``spec`` on disk, made now if they are not there yet."""
    directory = DATA / f"rows-{spec.key()}"
    if (directory / "done").exists():
        return directory
    revision = f"rows-{schema_revision()}-g{GENERATOR_VERSION}-"
    for old in DATA.glob("rows-*"):
        if not old.name.startswith(revision):  # another revision: its rows are useless now
            shutil.rmtree(old, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log(f"  making rows: {spec.reports:,} stolen reports, {spec.items:,} items (2 processes)")
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_run, args=(function, directory, spec))
        for function in (write_reports, write_register)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError("making the rows failed")
    (directory / "done").write_text(str(asdict(spec)))
    log(f"  rows made in {time.perf_counter() - started:.0f} s")
    return directory


# -- step 2: loading --------------------------------------------------------------------------

# Tables in load order (referenced first) and the ones whose rows are text.
TEXT_TABLES = ("stolen_reports", "municipalities", "dealers", "sellers", "purchases", "items")
# A register that grew by registrations, not a freshly loaded one. Rows appended in key
# order fill SQLite's index pages to the last byte (it has no fill factor; PostgreSQL's
# CREATE INDEX leaves 10 % free); then every one of a registration's random inserts splits
# a full page: 147 pages written per registration instead of about 60, until every page of
# the item keys has split once (some 5,000 registrations after a load). A B-tree that grew
# by random inserts keeps its pages about 70 % full. So on SQLite a third of the register
# (every third id, all dealers and dates alike) is inserted as registrations insert it: its
# rows once the indexes are there, the items' keys item by item.
GROWN_TABLES = ("sellers", "purchases", "items")
GROWN_KEY_TABLES = ("item_identifier_keys",)
GROWN_SHARE = 3  # rows whose id is a multiple of this, and those items' keys


def _grown(row_id: int) -> bool:
    return row_id % GROWN_SHARE == 0


def _tsv_rows(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield [None if v == "\\N" else v for v in line[:-1].split("\t")]


def _key_rows(path: Path):
    with path.open("rb") as handle:
        handle.read(len(_PG_HEADER))
        size = _KEY_ROW.size
        while True:
            block = handle.read(size * 100_000)
            if len(block) < size:
                return
            usable = len(block) - len(block) % size
            yield from _KEY_ROW.iter_unpack(block[:usable])
            rest = block[usable:]
            if rest and rest != _PG_TRAILER:
                raise ValueError("a key file does not end on a row boundary")


def create_schema(url: str, metadatas=None, tables=None) -> None:
    """The application's tables (of ``metadatas``; only those named in ``tables``)."""
    from sqlalchemy import create_engine

    from register.extensions import all_metadata

    engine = create_engine(url)
    for metadata in metadatas or all_metadata():
        chosen = None if tables is None else [metadata.tables[t] for t in tables]
        metadata.create_all(engine, tables=chosen)
    engine.dispose()


def _meta(conn, spec_key: str, paramstyle="?") -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT, built_at TEXT)")
    conn.execute("DELETE FROM bench_meta")
    conn.execute(
        f"INSERT INTO bench_meta VALUES ({paramstyle}, {paramstyle})",
        (spec_key, datetime.now(UTC).isoformat()),
    )


def sqlite_key(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path)
        try:
            row = conn.execute("SELECT key FROM bench_meta").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _sqlite_indexes(conn, tables) -> list[tuple[str, str]]:
    marks = ", ".join("?" * len(tables))
    return conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tuple(tables),
    ).fetchall()


def _sqlite_bulk_connection(path: Path) -> sqlite3.Connection:
    """A connection for loading: no journal, no syncing, a large cache, no foreign keys."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;"
        "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF;"
    )
    return conn


def _sqlite_load_key_table(path: Path, table: str, rows_dir: Path) -> None:
    """A key table alone in the file ``path``, its (key, id) rows appended in key order:
    a process of its own makes it while the text tables load, and the full database takes
    it over with SQLite's transfer optimisation (rows appended in order, no sort). The keys
    of grown items go to a table ``grown`` instead, in item order."""
    from register.extensions import all_metadata

    _remove_sqlite(path)
    create_schema(f"sqlite:///{path}", [m for m in all_metadata() if table in m.tables],
                  tables=[table])  # fmt: skip
    conn = _sqlite_bulk_connection(path)
    owner = KEY_TABLES[table]
    conn.execute("BEGIN")
    conn.execute(f"CREATE TEMP TABLE staging (key INTEGER, {owner} INTEGER)")
    conn.executemany("INSERT INTO staging VALUES (?3, ?5)", _key_rows(rows_dir / f"{table}.bin"))
    grown = f"{owner} % {GROWN_SHARE} = 0" if table in GROWN_KEY_TABLES else "0"
    conn.execute(
        f"INSERT INTO {table} (key, {owner}) SELECT key, {owner} FROM staging "
        f"WHERE NOT ({grown}) ORDER BY key, {owner}"
    )
    # The grown owners' keys in the order they were registered, for the full database to
    # insert so.
    conn.execute(f"CREATE TABLE grown (key INTEGER, {owner} INTEGER)")
    conn.execute(
        f"INSERT INTO grown SELECT key, {owner} FROM staging WHERE {grown} ORDER BY {owner}, key"
    )
    conn.execute("DROP TABLE staging")
    conn.execute("COMMIT")
    conn.close()


def load_sqlite(path: Path, rows_dir: Path, spec: Spec, log=print) -> float:
    """The text tables here, each key table in a process of its own (most of the work:
    tens of millions of rows to sort), then the key tables copied in; a third of the
    register goes in last, as registrations insert it (``GROWN_TABLES``)."""
    started = time.perf_counter()
    _remove_sqlite(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_files = {table: path.with_name(f"{path.stem}-{table}.sqlite") for table in KEY_TABLES}
    # spawn, not fork: the PostgreSQL load may be running in a thread of this process.
    context = multiprocessing.get_context("spawn")
    key_loads = [
        context.Process(target=_sqlite_load_key_table, args=(key_file, table, rows_dir))
        for table, key_file in key_files.items()
    ]
    for process in key_loads:
        process.start()
    create_schema(f"sqlite:///{path}")
    conn = _sqlite_bulk_connection(path)
    indexes = _sqlite_indexes(conn, (*TEXT_TABLES, *KEY_TABLES))
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("BEGIN")
    grown = {}
    for table in TEXT_TABLES:
        names = columns(table)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        rows = _tsv_rows(rows_dir / f"{table}.tsv")
        if table in GROWN_TABLES:
            conn.executemany(sql, (row for row in rows if not _grown(int(row[0]))))
            grown[table] = sql  # the rest once the indexes are there
        else:
            conn.executemany(sql, rows)
        log(f"    {table} loaded ({time.perf_counter() - started:.0f} s)")
    for _name, sql in indexes:
        conn.execute(sql)
    for table, sql in grown.items():
        rows = _tsv_rows(rows_dir / f"{table}.tsv")
        conn.executemany(sql, (row for row in rows if _grown(int(row[0]))))
    conn.execute("COMMIT")
    log(f"    indexes built, a third of the register inserted as registered "
        f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    for process in key_loads:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError("loading a key table failed")
    for table, key_file in key_files.items():
        conn.execute("ATTACH DATABASE ? AS keys", (str(key_file),))
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM keys.{table}")  # transferred
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM keys.grown ORDER BY rowid")
        conn.execute("DETACH DATABASE keys")
        _remove_sqlite(key_file)
        log(f"    {table} loaded ({time.perf_counter() - started:.0f} s)")
    conn.execute("ANALYZE")
    _meta(conn, spec.key())
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return time.perf_counter() - started


def _pg_connect(url: str):
    import psycopg

    conn = psycopg.connect(pg_dsn(url), autocommit=True)
    conn.execute("SET session_replication_role = replica")  # no foreign-key triggers
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def _pg_deferred_ddl(conn, tables, schema: str = "public") -> list[str]:
    """Drop the secondary indexes, unique constraints and the key tables' primary keys of
    ``tables``; return the DDL that makes them again (after the load)."""
    again = []
    for name, definition, table in conn.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid), t.relname FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = %s AND t.relname = ANY(%s) AND (c.contype = 'u' OR "
        "(c.contype = 'p' AND t.relname = ANY(%s)))",
        (schema, list(tables), list(KEY_TABLES)),
    ).fetchall():
        conn.execute(f'ALTER TABLE {schema}.{table} DROP CONSTRAINT "{name}"')
        again.append(f'ALTER TABLE {schema}.{table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = %s "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)",
        (schema, list(tables)),
    ).fetchall():
        conn.execute(f'DROP INDEX {schema}."{name}"')
        again.append(definition)
    return again


def _pg_copy(conn, table: str, path: Path, binary: bool, names=None) -> None:
    target = f"{table} ({', '.join(names)})" if names else table
    options = " WITH (FORMAT binary)" if binary else ""
    statement = f"COPY {target} FROM STDIN{options}"
    with conn.cursor() as cursor, cursor.copy(statement) as copy, path.open("rb") as handle:
        while block := handle.read(1 << 20):
            copy.write(block)


def pg_key(name: str) -> str | None:
    import psycopg

    if not pg_exists(name):
        return None
    try:
        with psycopg.connect(pg_dsn(pg_url(name))) as conn:
            row = conn.execute("SELECT key FROM bench_meta").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def load_postgres(name: str, rows_dir: Path, spec: Spec, log=print) -> float:
    started = time.perf_counter()
    pg_create(name)
    url = pg_url(name)
    create_schema(url)
    with _pg_connect(url) as conn:
        again = _pg_deferred_ddl(conn, (*TEXT_TABLES, *KEY_TABLES))
        for table in TEXT_TABLES:
            _pg_copy(conn, table, rows_dir / f"{table}.tsv", False, columns(table))
            log(f"    {table} copied ({time.perf_counter() - started:.0f} s)")
        for table in KEY_TABLES:
            _pg_copy(conn, table, rows_dir / f"{table}.bin", True, ["key", KEY_TABLES[table]])
            log(f"    {table} copied ({time.perf_counter() - started:.0f} s)")
        for ddl in again:
            conn.execute(ddl)
        log(f"    indexes built ({time.perf_counter() - started:.0f} s)")
        for table in TEXT_TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        conn.execute("VACUUM ANALYZE")
        _meta(conn, spec.key(), "%s")
    return time.perf_counter() - started


# -- step 3: the smaller Stop Heling databases --------------------------------------------------


def derive_sqlite(source: Path, path: Path, size: int, spec_key: str) -> float:
    from stolen_db import Base

    started = time.perf_counter()
    _remove_sqlite(path)
    create_schema(f"sqlite:///{path}", [Base.metadata])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    indexes = _sqlite_indexes(conn, ("stolen_reports", "stolen_report_keys"))
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("ATTACH DATABASE ? AS full", (str(source),))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO main.stolen_reports SELECT * FROM full.stolen_reports WHERE id <= ?",
                 (size,))  # fmt: skip
    conn.execute(
        "INSERT INTO main.stolen_report_keys (key, report_id) SELECT key, report_id "
        "FROM full.stolen_report_keys WHERE report_id <= ? ORDER BY key, report_id",
        (size,),
    )
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE full")
    conn.execute("ANALYZE")
    _meta(conn, spec_key)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return time.perf_counter() - started


def pg_schema_key(name: str, schema: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(pg_dsn(pg_url(name))) as conn:
            row = conn.execute(f"SELECT key FROM {schema}.bench_meta").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def derive_postgres(name: str, schema: str, size: int, spec_key: str) -> float:
    from sqlalchemy import create_engine

    from stolen_db import Base

    started = time.perf_counter()
    url = pg_url(name)
    with _pg_connect(url) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    engine = create_engine(url, execution_options={"schema_translate_map": {None: schema}})
    Base.metadata.create_all(engine)
    engine.dispose()
    with _pg_connect(url) as conn:
        again = _pg_deferred_ddl(conn, ("stolen_reports", "stolen_report_keys"), schema)
        conn.execute(
            f"INSERT INTO {schema}.stolen_reports SELECT * FROM public.stolen_reports "
            "WHERE id <= %s",
            (size,),
        )
        conn.execute(
            f"INSERT INTO {schema}.stolen_report_keys SELECT key, report_id "
            "FROM public.stolen_report_keys WHERE report_id <= %s",
            (size,),
        )
        for ddl in again:
            conn.execute(ddl)
        conn.execute(f"ANALYZE {schema}.stolen_reports")
        conn.execute(f"ANALYZE {schema}.stolen_report_keys")
        conn.execute(f"CREATE TABLE {schema}.bench_meta (key TEXT, built_at TEXT)")
        conn.execute(
            f"INSERT INTO {schema}.bench_meta VALUES (%s, %s)",
            (spec_key, datetime.now(UTC).isoformat()),
        )
    return time.perf_counter() - started


# -- what the benchmarks ask for ----------------------------------------------------------------


def sqlite_path(spec: Spec, size: int | None = None) -> Path:
    base = f"national-r{spec.reports}-i{spec.items}"
    return DATA / (f"{base}.sqlite" if size is None else f"{base}-stolen{size}.sqlite")


def pg_name(spec: Spec) -> str:
    return f"bench_national_r{spec.reports}_i{spec.items}"


def sqlite_ready(spec: Spec) -> bool:
    return sqlite_key(sqlite_path(spec)) == spec.key()


def postgres_ready(spec: Spec) -> bool:
    return pg_key(pg_name(spec)) == spec.key()


def ensure_sqlite(spec: Spec, sizes=(), log=print) -> dict[int | None, Path]:
    """The full SQLite database (key None) and a Stop Heling one per size below the full."""
    path = sqlite_path(spec)
    if sqlite_key(path) != spec.key():
        rows = ensure_rows(spec, log)
        log(f"  loading {path.name}")
        log(f"  {path.name} loaded in {load_sqlite(path, rows, spec, log):.0f} s")
    found: dict[int | None, Path] = {None: path}
    for size in sizes:
        if size >= spec.reports:
            found[size] = path
            continue
        derived = sqlite_path(spec, size)
        if sqlite_key(derived) != spec.key():
            seconds = derive_sqlite(path, derived, size, spec.key())
            log(f"  {derived.name} made in {seconds:.0f} s")
        found[size] = derived
    return found


def ensure_postgres(spec: Spec, sizes=(), log=print) -> dict[int | None, tuple[str, str]]:
    """The full PostgreSQL database and a Stop Heling schema per size below the full one:
    {size: (url, schema)} (key None: the full one, schema public)."""
    name = pg_name(spec)
    if pg_key(name) != spec.key():
        rows = ensure_rows(spec, log)
        log(f"  loading PostgreSQL database {name}")
        log(f"  {name} loaded in {load_postgres(name, rows, spec, log):.0f} s")
    url = pg_url(name)
    found: dict[int | None, tuple[str, str]] = {None: (url, "public")}
    for size in sizes:
        if size >= spec.reports:
            found[size] = (url, "public")
            continue
        schema = f"stolen_{size}"
        if pg_schema_key(name, schema) != spec.key():
            seconds = derive_postgres(name, schema, size, spec.key())
            log(f"  schema {schema} made in {seconds:.0f} s")
        found[size] = (url, schema)
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=Spec.reports)
    parser.add_argument("--items", type=int, default=Spec.items)
    parser.add_argument("--dealers", type=int, default=Spec.dealers)
    parser.add_argument("--municipalities", type=int, default=Spec.municipalities)
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--sqlite", action="store_true", help="build the SQLite database")
    parser.add_argument("--postgres", action="store_true", help="build the PostgreSQL one")
    parser.add_argument("--sizes", default="", help="also Stop Heling-only sizes, e.g. 10000")
    args = parser.parse_args(argv)
    spec = Spec(args.reports, args.items, args.dealers, args.municipalities, args.seed)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.sqlite:
        print(ensure_sqlite(spec, sizes))
    if args.postgres:
        print(ensure_postgres(spec, sizes))
    if not (args.sqlite or args.postgres):
        print(ensure_rows(spec))


if __name__ == "__main__":
    main()
