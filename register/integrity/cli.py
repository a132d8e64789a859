"""verify-register and anchor-heads: the commands of tamper evidence."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..clock import utcnow
from ..dealers.models import Dealer
from ..extensions import db
from ..purchases.chain import verify_dealer
from ..transactions import transactional
from .anchors import check_anchors, load_anchors, register_chain, register_hashes, write_anchor
from .ledger import AUDIT_CHAIN, item_chain
from .verify import verify_audit, verify_items


def anchor_directory() -> Path:
    """Where anchors go: ``ANCHOR_DIR``, or ``anchors`` in the instance folder."""
    configured = current_app.config.get("ANCHOR_DIR")
    return Path(configured or Path(current_app.instance_path) / "anchors")


@click.command("verify-register")
@click.option("--dealer", "dealer_id", type=int, help="verify one dealer's register only")
@click.option(
    "--anchors",
    "anchor_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="check every chain against the signed heads anchored in this directory",
)
@with_appcontext
@transactional
def verify_register_command(dealer_id, anchor_dir):
    """Recompute every chain (each dealer's register and ledger, the audit log) and compare
    what the tables hold with it; name everything altered, deleted or added."""
    session = db.session
    if dealer_id is not None:
        dealer = session.get(Dealer, dealer_id)
        if dealer is None:
            raise click.ClickException(f"no dealer with id {dealer_id}")
        dealers = [dealer]
    else:
        dealers = session.scalars(select(Dealer).order_by(Dealer.id)).all()
    anchored, broken = {}, 0
    if anchor_dir is not None:
        anchored, problems, files = load_anchors(anchor_dir)
        for problem in problems:
            click.echo(f"anchors: ALTERED: {problem}")
        broken += bool(problems)
        click.echo(f"anchors: {files} file(s), {len(anchored)} chain(s) anchored")
    for dealer in dealers:
        register = verify_dealer(session, dealer)
        problems = [] if register.ok else [register.problem]
        ledger, found = verify_items(session, dealer.id)
        problems += found
        if register_chain(dealer.id) in anchored:
            problems += _anchor_problems(
                anchored, register_chain(dealer.id), register_hashes(session, dealer.id)
            )
        problems += _anchor_problems(anchored, item_chain(dealer.id), ledger.hashes)
        broken += _report(f"dealer {dealer.id}", f"{register.entries} entries", problems)
    if dealer_id is None:
        audit, problems = verify_audit(session)
        problems += _anchor_problems(anchored, AUDIT_CHAIN, audit.hashes)
        broken += _report("audit log", f"{len(audit.entries)} ledger entries", problems)
        for chain in sorted(anchored):  # anchored, but no dealer has it any more
            broken += _report(chain, "", [f"anchored chain {chain} is missing from the database"])
    if broken:
        raise click.ClickException(f"{broken} chain(s) failed verification")
    click.echo(f"{len(dealers)} register(s) verified")


def _anchor_problems(anchored: dict, chain: str, hashes: dict[int, str]) -> list[str]:
    """What happened to ``chain`` since it was anchored (taking it out of ``anchored``)."""
    problem = check_anchors(anchored.pop(chain, []), hashes)
    return [f"{chain}: {problem}"] if problem else []


def _report(name: str, size: str, problems: list[str]) -> int:
    """Print what was found for one register or log; 1 if anything was."""
    if not problems:
        click.echo(f"{name}: {size}, chain intact")
        return 0
    for problem in problems:
        click.echo(f"{name}: ALTERED: {problem}")
    return 1


@click.command("anchor-heads")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="the directory to write the signed statement into (default: ANCHOR_DIR)",
)
@with_appcontext
@transactional
def anchor_heads_command(out_dir):
    """Write a signed statement of every chain's head (run daily; keep the files elsewhere)."""
    path = write_anchor(db.session, out_dir or anchor_directory(), utcnow())
    click.echo(f"anchored every chain head in {path}")


def register_commands(app) -> None:
    for command in (verify_register_command, anchor_heads_command):
        app.cli.add_command(command)
