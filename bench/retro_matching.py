#!/usr/bin/env python3
"""Retroactive matching: new theft reports against every registered item, beside one SQL join.

On a copy of a generated national database (a million items), N new theft reports (10,000
by default) are stored through the product's bulk path (``stolen_db.service.report_thefts``,
what ``flask stolen-import`` runs). A tenth of them describe registered goods (typed as
registered, normalised, with a look-alike character or one typo); the rest are new goods.
Then, in the same run:

- **ours**: ``register.hits.service.registered_pairs``, the retroactive matching the import
  runs for its reports: candidates on the items' normalised columns and keys, explained
  tier by tier, within the retention window;
- **join**: one SQL statement finding the same (report, item) pairs: the new reports joined
  to the items on the three normalised columns, and their keys (prepared in a temporary
  table) joined to the items' keys, within the retention window.

Both must find the same pairs (the join's key candidates are the ones matching confirms by
edit distance; a difference is printed). Also shown: storing the reports, and the whole
import path (store, match, record every hit with its outbox event and inspection task).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, table
from bench.stolen_lookup import _fold_one, typo

JOIN = """
SELECT r.id, i.id FROM stolen_reports r JOIN items i ON i.imei_norm = r.imei_norm
 WHERE r.id > :mark AND r.status = 'active' AND i.created_at >= :cutoff
UNION SELECT r.id, i.id FROM stolen_reports r JOIN items i ON i.serial_norm = r.serial_norm
 WHERE r.id > :mark AND r.status = 'active' AND i.created_at >= :cutoff
UNION SELECT r.id, i.id FROM stolen_reports r JOIN items i ON i.frame_norm = r.frame_norm
 WHERE r.id > :mark AND r.status = 'active' AND i.created_at >= :cutoff
   AND (r.brand_norm IS NULL OR i.brand IS NULL OR lower(i.brand) = r.brand_norm)
UNION SELECT k.report_id, i.id FROM bench_new_keys k
 JOIN item_identifier_keys ik ON ik.key = k.key JOIN items i ON i.id = ik.item_id
 WHERE i.created_at >= :cutoff
"""


def theft_reports(session, count: int, seed: int, now) -> list[dict]:
    """``count`` theft reports: a tenth of registered goods (four ways of typing), the rest
    new goods from the generator."""
    from sqlalchemy import func, select

    from register.purchases.models import Item
    from stolen_db.generator import Generator

    rnd = random.Random(seed)
    highest = session.scalar(select(func.max(Item.id)))
    wanted = rnd.sample(range(1, highest + 1), count // 10)
    known = []
    for start in range(0, len(wanted), 500):
        known += session.execute(
            select(Item.category, Item.brand, Item.model, Item.imei, Item.serial_number,
                   Item.frame_number).where(Item.id.in_(wanted[start : start + 500]))
        ).all()  # fmt: skip
    generator = Generator(seed, start=80_000_000, now=now)
    reports = [generator.report() for _ in range(count - len(known))]
    for n, (category, brand, model, imei, serial, frame) in enumerate(known):
        data = generator.report()
        data.update(category=category, brand=brand, model=model, imei=None,
                    serial_number=None, frame_number=None)  # fmt: skip
        kind, value = next(
            (k, v) for k, v in (("imei", imei), ("serial_number", serial), ("frame_number", frame))
            if v
        )  # fmt: skip
        way = n % 4
        if kind == "imei":  # the police refuse an IMEI with a letter or a wrong check digit
            value = value if way % 2 == 0 else f"{value[:2]}-{value[2:8]}-{value[8:]}"
        elif way == 1:
            value = value.lower() if value.upper() != value.lower() else f"{value[:3]}-{value[3:]}"
        elif way == 2:
            value = _fold_one(value, rnd) or value
        elif way == 3:
            value = typo(value, rnd)
        data[kind] = value
        reports.append(data)
    rnd.shuffle(reports)
    return reports


def confirmed_by_matching(session, pairs) -> int:
    """How many of the (report, item) ``pairs`` the tiers would call a match."""
    from sqlalchemy import select

    from register.hits.service import item_identifiers, report_identifiers
    from register.purchases.models import Item
    from stolen_db.matching import explain
    from stolen_db.models import StolenReport

    pairs = list(pairs)
    reports, items = {}, {}
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        reports.update(
            (r.id, report_identifiers(r))
            for r in session.scalars(
                select(StolenReport).where(StolenReport.id.in_({p[0] for p in chunk}))
            )
        )
        items.update((i.id, item_identifiers(i)) for i in session.scalars(
            select(Item).where(Item.id.in_({p[1] for p in chunk}))))  # fmt: skip
    return sum(1 for r, i in pairs if explain(items[i], reports[r]) is not None)


def measure(url: str, *, count: int, seed: int = 11, now=None) -> list[Figure]:
    from sqlalchemy import DateTime, bindparam, func, select, text

    from bench.generate import NOW
    from register import create_app
    from register.extensions import db
    from register.hits.service import registered_pairs, retention_cutoff, retroactive_hits
    from stolen_db.models import StolenReport
    from stolen_db.service import report_keys, report_thefts

    logging.disable(logging.INFO)  # a log line per hit would measure the terminal
    now = now or NOW
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    with app.app_context():
        session = db.session
        reports = theft_reports(session, count, seed, now)
        mark = session.scalar(select(func.max(StolenReport.id)))
        items = session.scalar(text("SELECT count(*) FROM items"))
        session.rollback()

        started = time.perf_counter()
        result = report_thefts(session, reports, now=now)
        store_seconds = time.perf_counter() - started
        stored = result.reports
        if len(stored) != count:
            raise RuntimeError(f"reports refused: {result.refused}, {result.duplicates}")
        session.execute(text("CREATE TEMPORARY TABLE bench_new_keys (key BIGINT, report_id INT)"))
        session.execute(
            text("INSERT INTO bench_new_keys VALUES (:key, :report_id)"),
            [
                {"key": key, "report_id": ref.id}
                for ref, data in zip(stored, reports, strict=True)
                for key in report_keys(data)
            ],
        )
        session.execute(text("ANALYZE bench_new_keys"))
        cutoff = retention_cutoff(now)
        join = text(JOIN).bindparams(bindparam("cutoff", type_=DateTime(timezone=True)))
        ours_best = join_best = float("inf")
        for _ in range(2):  # alternating, best of two: both see the same machine and cache
            started = time.perf_counter()
            pairs = registered_pairs(session, stored, now=now)
            ours_best = min(ours_best, time.perf_counter() - started)
            started = time.perf_counter()
            joined = set(session.execute(join, {"mark": mark, "cutoff": cutoff}).all())
            join_best = min(join_best, time.perf_counter() - started)
        found = {(m.report_id, item_id) for item_id, m in pairs}
        kinds: dict[str, int] = {}
        for _item, match in pairs:
            kinds[match.kind] = kinds.get(match.kind, 0) + 1
        missed = confirmed_by_matching(session, joined - found)
        started = time.perf_counter()
        hits = retroactive_hits(session, stored, now)
        hit_seconds = time.perf_counter() - started
        session.commit()
    if found == joined:
        same = "the join finds the same pairs"
    elif found <= joined and not missed:
        same = (
            f"the join's {len(joined - found):,} other candidates share a deletion key but are "
            "two edits apart (checked): the same matches"
        )
    else:
        same = f"DIFFERENT: {len(found - joined)} pairs only ours, {missed} matches only the join's"
    name = f"retroactive matching, {count:,} reports vs {items:,} items"
    detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return [
        Figure(database, name, "reports matched/s", count / ours_best, count / join_best,
               "one SQL join, reports/s", 0.5,
               note=f"{len(found):,} pairs ({detail}); {same}"),
        Figure(database, name, "reports stored/s (bulk import path)", count / store_seconds,
               None, "", None, note="report_thefts: rules, keys, duplicates, inserts"),
        Figure(database, name, "reports matched + hits recorded/s", count / hit_seconds,
               None, "", None,
               note=f"retroactive_hits: {hits:,} hits, each with its event and task"),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a copy of a generated database")
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args(argv)
    print(table(measure(args.database_url, count=args.reports)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
