"""Commands: the worker, the police demo endpoint, and resending dead events."""

from __future__ import annotations

import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from .outbox import IllegalTransition, counts_by_status, resend


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    # The scheduler announces every run of every job at INFO: too much for an operator.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.command("worker")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@with_appcontext
def worker_command(once: bool):
    """Deliver police notifications until SIGTERM (run it as its own process)."""
    from .worker import Worker

    _configure_logging()
    app = current_app._get_current_object()
    worker = Worker(app)
    if once:
        worker.heartbeat()  # takes back what dead workers held, so it is delivered too
        try:
            attempted = worker.run_once()
        finally:
            worker.retire()
        click.echo(f"{attempted} delivery attempt(s)")
        return
    worker.run_forever()


@click.command("police-receiver")
@click.option("--port", type=int, default=5001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--store", help="SQLite file for received messages (default: in instance/)")
@with_appcontext
def police_receiver_command(port: int, host: str, store: str | None):
    """A demonstration police endpoint that verifies and shows received webhooks."""
    from werkzeug.serving import run_simple

    from .receiver import ReceiverStore, create_receiver_app

    _configure_logging()
    app = current_app._get_current_object()
    path = (
        store
        or app.config.get("POLICE_RECEIVER_STORE")
        or os.path.join(app.instance_path, "police_receiver.sqlite")
    )
    receiver = create_receiver_app(app.config["POLICE_WEBHOOK_SECRET"], ReceiverStore(path))
    click.echo(
        f"police demo endpoint: POST http://{host}:{port}/webhook, page http://{host}:{port}/"
    )
    run_simple(host, port, receiver, threaded=True, use_reloader=False)


@click.command("mail-catcher")
@click.option("--port", type=int, default=1025, show_default=True, help="SMTP port")
@click.option("--web-port", type=int, default=1080, show_default=True, help="page's port")
@click.option("--host", default="127.0.0.1", show_default=True)
def mail_catcher_command(port: int, web_port: int, host: str):
    """A demonstration SMTP server with a page that shows what arrived (sends nothing on)."""
    from werkzeug.serving import run_simple

    from .mail_catcher import MailCatcher, create_catcher_app

    _configure_logging()
    catcher = MailCatcher(host, port).start()
    click.echo(f"mail catcher: SMTP on {host}:{port}, arrived mail at http://{host}:{web_port}/")
    try:
        run_simple(host, web_port, create_catcher_app(catcher), threaded=True)
    finally:
        catcher.stop()


@click.command("notifications-resend")
@click.argument("event_id", type=int)
@with_appcontext
def resend_command(event_id: int):
    """Send a dead notification again (same webhook-id, a new 24-hour retry window)."""
    from .models import OutboxEvent
    from .worker import app_now

    session = current_app.extensions["notifications"]["session"]
    with session.begin():  # one unit of work: committed here, rolled back on any error
        event = session.get(OutboxEvent, event_id)
        if event is None:
            raise click.ClickException(f"no notification with id {event_id}")
        try:
            resend(session, event, now=app_now(current_app)())
        except IllegalTransition as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"notification {event_id} queued again")


@click.command("notifications-status")
@with_appcontext
def status_command():
    """How many notifications are pending, in flight, delivered and dead."""
    session = current_app.extensions["notifications"]["session"]
    for status, count in counts_by_status(session).items():
        click.echo(f"{status}: {count}")


def register_commands(app) -> None:
    for command in (
        worker_command,
        police_receiver_command,
        mail_catcher_command,
        resend_command,
        status_command,
    ):
        app.cli.add_command(command)
