"""(key, owner id) rows into the two key tables, in bulk.

``stolen_report_keys`` (a report's keys) and ``item_identifier_keys`` (a registered item's)
hold tens of millions of rows of two integers. Through the ORM each row costs more than its
insert, so rows go straight to the driver: on PostgreSQL as two arrays (a round trip per
50,000 rows), on SQLite by ``executemany``. Callers pass them in key order where they can:
the inserts then walk the primary key's pages once instead of at random.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from .lookup import integer_array

# Table -> owner column: fixed names, never from input.
OWNER_COLUMNS = {"stolen_report_keys": "report_id", "item_identifier_keys": "item_id"}
_ROWS_PER_STATEMENT = 50_000


def insert_key_rows(session: Session, table: str, rows: Sequence[tuple[int, int]]) -> None:
    """``(key, owner id)`` rows into ``table``, keeping rows already there."""
    if not rows:
        return
    owner = OWNER_COLUMNS[table]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        statement = (
            f"INSERT INTO {table} (key, {owner}) "  # noqa: S608 - fixed names
            "SELECT * FROM unnest(%s::bigint[], %s::integer[]) ON CONFLICT DO NOTHING"
        )
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            keys = integer_array([key for key, _ in chunk])
            owners = integer_array([owner_id for _, owner_id in chunk])
            connection.exec_driver_sql(statement, (keys, owners))
        return
    connection.exec_driver_sql(
        f"INSERT INTO {table} (key, {owner}) VALUES (?, ?) ON CONFLICT DO NOTHING",  # noqa: S608
        list(rows),
    )
