"""Stop Heling commands: synthetic data, and the police's CSV import of large batches.

``flask --app register stolen-generate --count N`` and ``stolen-import FILE``. Each commits
once at the end and exits non-zero with a one-line reason on bad arguments.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import func, select
from tqdm import tqdm

from . import context
from .generator import Generator
from .models import StolenReport
from .schemas import AMSTERDAM, StolenReportIn
from .service import add_reports_bulk, report_thefts

IMPORT_COLUMNS = (
    "report_number", "reported_at", "category", "brand", "model", "imei", "serial_number",
    "frame_number", "description",
)  # fmt: skip
BATCH = 5000
DUPLICATE = "a report with this number exists"


@click.command("stolen-generate")
@click.option("--count", type=click.IntRange(min=1), required=True, help="how many reports")
@click.option("--seed", type=int, default=None, help="the same seed makes the same reports")
@with_appcontext
def stolen_generate_command(count: int, seed: int | None):
    """Add COUNT realistic synthetic stolen reports (demo data, load tests)."""
    db = context.session()
    now = context.now()
    # One unit of work: committed at the end of the block, rolled back on any error.
    with db.begin(), tqdm(total=count, unit="report", file=sys.stderr, disable=None) as progress:
        start = (db.scalar(select(func.max(StolenReport.id))) or 0) + 1
        generator = Generator(seed, start=start, now=now)
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            add_reports_bulk(db, generator.reports(size), now=now)
            done += size
            progress.update(size)
    click.echo(f"added {count} synthetic stolen reports")


def _row_values(row: dict) -> dict:
    """A CSV row as the API would receive it: known columns, empty cells left out."""
    return {
        name: value.strip()
        for name, value in row.items()
        if name in IMPORT_COLUMNS and value is not None and value.strip()
    }


def _flat(messages) -> list[tuple[str, str]]:
    out = []
    for field, value in messages.items():
        for message in value if isinstance(value, list) else [value]:
            out.append((field, str(message)))
    return out


@click.command("stolen-import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="write the refused rows with their reasons to this CSV file",
)
@with_appcontext
def stolen_import_command(csv_file: Path, errors_path: Path | None):
    """Import theft reports from a CSV file (one report a row, the API's field names).

    Each good row is stored and matched against registered goods (retroactive hits); a bad
    row is refused with its reasons and the others are imported. Exits 1 when rows were
    refused. Rows are stored and matched in batches of 5,000 (a few statements each).
    """
    db = context.session()
    now = context.now()
    matcher = context.registered_matcher()
    schema = StolenReportIn(naive_time_zone=AMSTERDAM)  # the file format: Dutch time
    # One unit of work: committed at the end of the block, rolled back on any error.
    with db.begin(), csv_file.open(newline="", encoding="utf-8-sig") as handle:
        total = max(sum(1 for _ in handle) - 1, 0)
        handle.seek(0)
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        missing = {"report_number", "reported_at", "category"} - columns
        if missing:
            raise click.ClickException(
                f"the CSV file lacks the columns: {', '.join(sorted(missing))}"
            )
        unknown = columns - set(IMPORT_COLUMNS)
        if unknown:
            raise click.ClickException(
                f"unknown columns in the CSV file: {', '.join(sorted(unknown))}"
            )
        imported = hits = 0
        refused: list[tuple[int, str, str]] = []  # (line, field, message)
        batch: list[tuple[int, dict]] = []  # (line, loaded row)

        def store(batch):
            # Duplicates within the file are caught across batches too: earlier batches
            # are flushed, so their numbers are in the database.
            result = report_thefts(
                db, [data for _, data in batch], now=now, find_registered_matches=matcher
            )
            for position, errors in result.refused.items():
                refused.extend((batch[position][0], f, m) for f, m in _flat(errors))
            for position in result.duplicates:
                refused.append((batch[position][0], "report_number", DUPLICATE))
            return len(result.reports), result.retroactive_hits

        with tqdm(total=total, unit="row", file=sys.stderr, disable=None) as progress:
            for row in reader:
                line = reader.line_num
                progress.update(1)
                try:
                    batch.append((line, schema.load(_row_values(row))))
                except ValidationError as exc:
                    refused += [(line, f, m) for f, m in _flat(exc.messages)]
                if len(batch) >= BATCH:
                    stored, found = store(batch)
                    imported, hits, batch = imported + stored, hits + found, []
            if batch:
                stored, found = store(batch)
                imported, hits = imported + stored, hits + found
    refused.sort(key=lambda r: r[0])
    lines = sorted({line for line, _, _ in refused})
    for line, field, message in refused:
        click.echo(f"line {line}: {field}: {message}", err=True)
    if errors_path is not None:
        with errors_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "field", "message"])
            writer.writerows(refused)
    click.echo(f"imported {imported} reports ({hits} retroactive hits); refused {len(lines)} rows")
    if refused:
        current_app.logger.warning("stolen-import refused %s rows of %s", len(lines), csv_file)
        click.get_current_context().exit(1)


def register_commands(app) -> None:
    app.cli.add_command(stolen_generate_command)
    app.cli.add_command(stolen_import_command)
