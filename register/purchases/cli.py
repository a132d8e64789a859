"""DOR commands: import-purchases, purge-expired (verify-register: ``integrity.cli``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..dealers.models import Dealer
from ..extensions import db
from ..transactions import transactional
from .importer import ImportRejected, decode, import_csv, parse
from .retention import purge_expired
from .service import RegisterError


@click.command("import-purchases")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dealer", "dealer_id", type=int, required=True, help="the dealer's id")
@with_appcontext
@transactional
def import_purchases_command(csv_file: Path, dealer_id: int):
    """Register every purchase in a CSV file (all or none); see docs/csv-import.md."""
    from tqdm import tqdm

    dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        raise click.ClickException(f"no dealer with id {dealer_id}")
    try:
        text = decode(csv_file.read_bytes())
        rows = sum(len(group.rows) for group in parse(text))
        with tqdm(total=2 * rows, unit="row", desc="validate, store") as bar:
            result = import_csv(db.session, dealer, text, now=utcnow(), progress=bar.update)
    except ImportRejected as exc:
        for row in exc.rows:
            for column, messages in row["errors"].items():
                click.echo(f"line {row['row']}, {column}: {' '.join(messages)}", err=True)
        raise click.ClickException(str(exc.detail)) from None
    except RegisterError as exc:
        raise click.ClickException(str(exc.detail)) from None
    click.echo(f"imported {result['purchases']} purchases with {result['items']} items")


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
