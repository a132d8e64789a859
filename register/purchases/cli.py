"""DOR commands: import-purchases, purge-expired (verify-register: ``integrity.cli``)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..dealers.models import Dealer
from ..extensions import db
from ..imports.models import ImportJob, ImportStatus, transition_job
from ..transactions import transactional
from .importer import ImportRejected, decode, parse
from .retention import purge_expired
from .service import RegisterError


@click.command("import-purchases")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dealer", "dealer_id", type=int, required=True, help="the dealer's id")
@with_appcontext
def import_purchases_command(csv_file: Path, dealer_id: int):
    """Register every purchase in a CSV file (all or none); see docs/csv-import.md.

    The file is run here as an import job, in chunks (as the worker runs one), so other
    registrations go on meanwhile; if this command is stopped, the worker resumes it."""
    from tqdm import tqdm

    from ..imports.service import as_message, create_job, run_job
    from ..imports.worker import chunk_pause
    from ..transactions import unit_of_work

    session = db.session
    token = f"cli:{os.getpid()}"
    try:
        with unit_of_work(session):
            dealer = session.get(Dealer, dealer_id)
            if dealer is None:
                raise click.ClickException(f"no dealer with id {dealer_id}")
            text = decode(csv_file.read_bytes())
            job = create_job(session, dealer, text, parse(text), now=utcnow(), user_id=None,
                             filename=csv_file.name)  # fmt: skip
            job_id, rows = job.id, job.rows_total
            transition_job(job, ImportStatus.RUNNING)
            job.claimed_by, job.heartbeat_at = token, utcnow()
            job.started_at = job.heartbeat_at
    except ImportRejected as exc:
        _echo_rows(exc.rows)
        raise click.ClickException(str(exc.detail)) from None
    except RegisterError as exc:
        raise click.ClickException(str(exc.detail)) from None
    with tqdm(total=2 * rows, unit="row", desc="validate, store") as bar:
        status = run_job(session, job_id, token, now=utcnow, progress=bar.update,
                         chunk_rows=int(current_app.config["IMPORT_CHUNK_ROWS"]),
                         chunk_seconds=current_app.config["IMPORT_CHUNK_SECONDS"],
                         pause=chunk_pause(current_app))  # fmt: skip
    with unit_of_work(session):
        job = session.get(ImportJob, job_id, populate_existing=True)
        if status != ImportStatus.SUCCEEDED:
            _echo_rows(job.errors or [], stored=True)
            raise click.ClickException(str(as_message(job.detail)))
        click.echo(f"imported {job.purchases} purchases with {job.items} items (import {job_id})")


def _echo_rows(rows: list[dict], *, stored: bool = False) -> None:
    from ..imports.service import as_message

    for row in rows:
        for column, messages in row["errors"].items():
            texts = [str(as_message(m)) if stored else str(m) for m in messages]
            click.echo(f"line {row['row']}, {column}: {' '.join(texts)}", err=True)


@click.command("purge-expired")
@with_appcontext
@transactional
def purge_expired_command():
    """Remove seller and buyer personal data older than the retention period (4 years)."""
    days = int(current_app.config["SELLER_DATA_RETENTION_DAYS"])
    result = purge_expired(db.session, now=utcnow(), retention_days=days)
    click.echo(
        f"purged personal data of {result.sellers} sellers, {result.corrections} corrections "
        f"and {result.sales} sales older than {days} days"
    )


def register_commands(app) -> None:
    for command in (import_purchases_command, purge_expired_command):
        app.cli.add_command(command)
