"""The command line: ``flask --app register <command>``.

Every command commits once at the end and exits non-zero with a one-line reason on bad
arguments. Domain packages add their own commands through ``register_commands(app)``.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .accounts.models import ROLE_VALUES, User
from .accounts.service import AccountError, create_user, issue_token
from .clock import utcnow
from .dealers.models import DEALER_KINDS
from .dealers.service import (
    DealerError,
    create_dealer,
    create_municipality,
    municipality_by_code,
)
from .extensions import db
from .transactions import transactional


@click.command("create-municipality")
@click.argument("code")
@click.argument("name")
@with_appcontext
@transactional
def create_municipality_command(code: str, name: str):
    """Create a municipality, e.g. GM0363 Amsterdam."""
    try:
        municipality = create_municipality(db.session, code, name)
    except DealerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{municipality.code} {municipality.name}")


@click.command("create-dealer")
@click.option("--name", required=True)
@click.option("--municipality", "municipality_code", required=True, help="CBS code, e.g. GM0363")
@click.option("--kvk", "kvk_number", help="Chamber of Commerce number (8 digits)")
@click.option("--kind", type=click.Choice(DEALER_KINDS), default="commercial", show_default=True)
@click.option("--country", help="two-letter country code (foreign dealers)")
@click.option("--active", is_flag=True, help="connected to the DOR at once")
@with_appcontext
@transactional
def create_dealer_command(name, municipality_code, kvk_number, kind, country, active):
    """Create a dealer; prints its id alone on the last line."""
    municipality = municipality_by_code(db.session, municipality_code)
    if municipality is None:
        raise click.ClickException(f"no municipality with code {municipality_code}")
    try:
        dealer = create_dealer(
            db.session,
            name=name,
            municipality=municipality,
            now=utcnow(),
            kind=kind,
            kvk_number=kvk_number,
            country=country,
            active=active,
        )
    except DealerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {dealer.kind} dealer {dealer.name!r} ({dealer.status})")
    click.echo(dealer.id)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLE_VALUES), required=True)
@click.option("--dealer", "dealer_id", type=int)
@click.option("--municipality", "municipality_code")
@click.option("--password", required=True)
@with_appcontext
@transactional
def create_user_command(email, role, dealer_id, municipality_code, password):
    """Create a user with a role and its scope."""
    from .dealers.models import Dealer

    municipality_id = None
    if municipality_code:
        municipality = municipality_by_code(db.session, municipality_code)
        if municipality is None:
            raise click.ClickException(f"no municipality with code {municipality_code}")
        municipality_id = municipality.id
    if dealer_id is not None and db.session.get(Dealer, dealer_id) is None:
        raise click.ClickException(f"no dealer with id {dealer_id}")
    try:
        user = create_user(
            db.session,
            email=email,
            password=password,
            role=role,
            now=utcnow(),
            dealer_id=dealer_id,
            municipality_id=municipality_id,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} user {user.email}")


@click.command("create-token")
@click.argument("email")
@click.option("--label", help="what the token is for, e.g. 'kassa winkel 1'")
@with_appcontext
@transactional
def create_token_command(email, label):
    """Create a long-lived API token; prints it alone on the last line."""
    from sqlalchemy import func, select

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    token = issue_token(db.session, user, now=utcnow(), lifetime=None, label=label)
    click.echo(f"long-lived token for {user.email} ({user.role}); store it safely:")
    click.echo(token)


@click.command("revoke-tokens")
@click.argument("email")
@with_appcontext
@transactional
def revoke_tokens_command(email):
    """Revoke every API token of a user (a lost till, a member of staff who left)."""
    from sqlalchemy import func, select

    from .accounts.service import revoke_tokens

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    count = revoke_tokens(db.session, user, now=utcnow())
    click.echo(f"revoked {count} token(s) of {user.email}")


@click.command("seed-demo")
@with_appcontext
@transactional
def seed_demo_command():
    """Demo data: municipalities, dealers of every kind, a user per role, reports, purchases."""
    from . import demo

    created = demo.seed(db.session, now=utcnow())
    if created is None:
        click.echo("demo data present already; nothing changed")
    else:
        click.echo("demo data created")
    click.echo(
        f"demo users (password {demo.DEMO_PASSWORD!r}): "
        + ", ".join(f"{email} ({role})" for email, role, *_ in demo.DEMO_USERS)
    )


CORE_COMMANDS = [
    create_municipality_command,
    create_dealer_command,
    create_user_command,
    create_token_command,
    revoke_tokens_command,
    seed_demo_command,
]


def init_app(app) -> None:
    from notifications import cli as notifications_cli
    from stolen_db import cli as stolen_cli

    from .inspections import cli as inspections_cli
    from .integrity import cli as integrity_cli
    from .purchases import cli as purchases_cli

    for command in CORE_COMMANDS:
        app.cli.add_command(command)
    # Each domain adds its own (verify-register, stolen-generate, worker, ...).
    for module in (purchases_cli, integrity_cli, inspections_cli, stolen_cli, notifications_cli):
        module.register_commands(app)
