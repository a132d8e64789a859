"""DOC commands: ``flask --app register schedule-inspections``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..extensions import db
from ..transactions import transactional
from .scheduling import schedule_inspections


@click.command("schedule-inspections")
@with_appcontext
@transactional
def schedule_inspections_command():
    """Open the inspection tasks that are due (the worker runs this daily)."""
    opened = schedule_inspections(db.session, utcnow(), current_app.config)
    total = sum(opened.values())
    detail = ", ".join(f"{reason}: {count}" for reason, count in sorted(opened.items()))
    click.echo(f"opened {total} inspection tasks" + (f" ({detail})" if detail else ""))


def register_commands(app) -> None:
    app.cli.add_command(schedule_inspections_command)
