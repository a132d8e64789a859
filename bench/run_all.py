#!/usr/bin/env python3
"""Every benchmark, on SQLite and on PostgreSQL, in one table: each figure beside its
baseline measured in the same run, the ratio and the target.

    python -m bench                      # national scale (10-20 min from nothing on 2 cores)
    python -m bench --quick              # small sizes (a minute or two)
    python -m bench --only lookup,dispatch --databases sqlite

Sizes (full): a national register of 342 municipalities, 7,000 dealers, 2,000,000 stolen
reports and 1,000,000 registered items (about 660,000 purchases), built once by
``bench/generate.py`` and cached (SQLite files in ``bench/data/``, PostgreSQL databases
``bench_national_*``); Stop Heling lookups also at 10k, 100k and 1M reports. Benchmarks that
write (registrations, retroactive matching, bulk import) run on a throwaway copy; dispatch
on an empty database of its own (the outbox starts empty whatever the register holds).
The table goes to stdout and to ``bench/results/latest.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import generate
from bench.common import (
    DATA,
    RESULTS,
    Figure,
    machine,
    pg_available,
    pg_create,
    pg_drop,
    pg_url,
    python_speed,
    table,
)

BENCHMARKS = ("lookup", "registrations", "retro", "import", "dispatch", "search")


class Plan:
    def __init__(self, quick: bool):
        self.quick = quick
        if quick:
            self.spec = generate.Spec(reports=100_000, items=50_000, dealers=300, municipalities=20)
            self.sizes = [10_000, 100_000]
            self.checks, self.repeats = 1000, 2
            self.requests, self.import_items, self.retro_reports, self.events = (
                200,
                5000,
                1000,
                1000,
            )
        else:
            self.spec = generate.Spec()
            self.sizes = [10_000, 100_000, 1_000_000, 2_000_000]
            self.checks, self.repeats = 1000, 3
            self.requests, self.import_items = 1000, 100_000
            self.retro_reports, self.events = 10_000, 10_000

    def describe(self) -> str:
        s = self.spec
        return (
            f"{s.municipalities:,} municipalities, {s.dealers:,} dealers, {s.reports:,} stolen "
            f"reports, {s.items:,} registered items; Stop Heling lookups at "
            f"{', '.join(f'{n:,}' for n in self.sizes)} reports ({self.checks:,} sampled "
            f"checks per tier, the best of at least {self.repeats} passes); "
            f"{self.requests:,} registrations; bulk import of {self.import_items:,} items; "
            f"retroactive matching of {self.retro_reports:,} reports; dispatch of "
            f"{self.events:,} events"
        )


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def build(plan: Plan, databases: list[str]) -> dict:
    """The databases, PostgreSQL's built in a thread beside SQLite's (its work is mostly
    the server's, so the two use both cores)."""
    places: dict[str, dict] = {}
    needed = ("sqlite" in databases and not generate.sqlite_ready(plan.spec)) or (
        "postgres" in databases and not generate.postgres_ready(plan.spec)
    )
    if needed:  # made once, before the two loads start
        generate.ensure_rows(plan.spec, log)
    errors: list[BaseException] = []

    def postgres():
        try:
            places["postgres"] = generate.ensure_postgres(
                plan.spec, plan.sizes, lambda m: log("[pg] " + m.strip())
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=postgres) if "postgres" in databases else None
    if thread:
        thread.start()
    if "sqlite" in databases:
        found = generate.ensure_sqlite(
            plan.spec, plan.sizes, lambda m: log("[sqlite] " + m.strip())
        )
        places["sqlite"] = {size: (f"sqlite:///{path}", "main") for size, path in found.items()}
    if thread:
        thread.join()
    if errors:
        raise errors[0]
    return places


def work_copy(database: str, places: dict, name: str = "work") -> tuple[str, callable]:
    """A throwaway copy of the full database for the benchmarks that write."""
    url = places[None][0]
    if database == "sqlite":
        source = Path(url.removeprefix("sqlite:///"))
        target = DATA / f"{name}.sqlite"
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(source, target)

        def drop():
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)

        return f"sqlite:///{target}", drop
    copy = f"bench_{name}"
    pg_create(copy, template=url.rsplit("/", 1)[1])
    return pg_url(copy), lambda: pg_drop(copy)


def run(plan: Plan, database: str, places: dict, only: set[str]) -> list[Figure]:
    from bench import (
        bulk_import,
        investigation,
        register_purchases,
        retro_matching,
        stolen_lookup,
        webhook_dispatch,
    )

    figures: list[Figure] = []
    label = "SQLite" if database == "sqlite" else "PostgreSQL"
    if "lookup" in only:
        for size in plan.sizes:
            url, schema = places[size]
            log(f"{label}: Stop Heling lookups at {size:,} reports")
            result, sanity = stolen_lookup.measure(
                url, schema, size, checks=plan.checks, repeats=plan.repeats
            )
            if sanity["exact"] == 0 or sanity["miss"] != 0:
                raise RuntimeError(f"lookups found the wrong things: {sanity}")
            figures += result
    if "dispatch" in only:
        # The outbox starts empty whatever the register holds: a database of its own.
        log(f"{label}: webhook dispatch of {plan.events:,} events")
        if database == "sqlite":
            figures += webhook_dispatch.measure(None, events=plan.events)
        else:
            pg_create("bench_dispatch")
            try:
                figures += webhook_dispatch.measure(pg_url("bench_dispatch"), events=plan.events)
            finally:
                pg_drop("bench_dispatch")
    if "search" in only:
        # Registers of its own at two sizes (the search needs no stolen reports).
        sizes = (10_000, 50_000) if plan.quick else (100_000, 1_000_000)
        log(f"{label}: searches and the low-price alert job at {sizes[0]:,} and {sizes[1]:,} items")
        figures += investigation.measure([database], sizes, log=lambda m: log(m.strip()))
    if only & {"registrations", "retro"}:
        log(f"{label}: copying the national database for the benchmarks that write")
        url, drop = work_copy(database, places)
        try:
            if "registrations" in only:
                log(f"{label}: {plan.requests:,} registrations through gunicorn")
                figures += register_purchases.measure(url, requests_count=plan.requests)
            if "retro" in only:
                log(f"{label}: retroactive matching of {plan.retro_reports:,} reports")
                figures += retro_matching.measure(url, count=plan.retro_reports)
        finally:
            drop()
    if "import" in only:
        # The import and its baseline each write into a copy of their own, the same.
        log(f"{label}: two copies of the national database for the bulk import")
        url, drop = work_copy(database, places, "import")
        try:
            raw_url, raw_drop = work_copy(database, places, "import_raw")
            try:
                log(f"{label}: bulk import of {plan.import_items:,} items")
                figures += bulk_import.measure(url, raw_url, count=plan.import_items)
            finally:
                raw_drop()
        finally:
            drop()
    return figures


def report(
    figures: list[Figure], plan: Plan, seconds: float, argv: list[str], speed: tuple[float, float]
) -> str:
    info = machine()
    command = "python -m bench" + (" " + " ".join(argv) if argv else "")
    lines = [
        f"# Benchmark results ({datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')})",
        "",
        f"Command: `{command}`; total time {seconds / 60:.1f} min (building included).",
        "",
        f"Machine: {info.get('cores')} cores ({info.get('cpu', '?')}), {info.get('memory', '?')} "
        f"memory; Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL "
        f"{info.get('postgresql', '-')}. Speed: ten million additions in Python took "
        f"{speed[0]:.2f} s at the start and {speed[1]:.2f} s at the end (lower is faster).",
        "",
        f"Sizes: {plan.describe()}.",
        "",
        "Ratio = ours / baseline (for latencies: baseline / ours); the target is the ratio to "
        "reach.",
        "",
        table(figures),
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=",".join(BENCHMARKS))
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(BENCHMARKS):
        parser.error(f"unknown benchmarks: {', '.join(sorted(only - set(BENCHMARKS)))}")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgres" in databases and not pg_available():
        log("PostgreSQL is not reachable: SQLite only")
        databases.remove("postgres")
    plan = Plan(args.quick)
    speed_before = python_speed()
    started = time.perf_counter()
    log(f"sizes: {plan.describe()}")
    log(f"speed: ten million additions in Python in {speed_before:.2f} s")
    places = (
        build(plan, databases) if only - {"dispatch", "search"} else {key: {} for key in databases}
    )
    log(f"databases ready after {time.perf_counter() - started:.0f} s")
    figures: list[Figure] = []
    for database in databases:
        figures += run(plan, database, places[database], only)
    seconds = time.perf_counter() - started
    text = report(figures, plan, seconds, argv, (speed_before, python_speed()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print()
    print(text)
    log(f"done in {seconds / 60:.1f} min; written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
