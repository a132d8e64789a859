"""The demo data's register entries go through the service and verify."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from register.purchases.models import Correction, Purchase, Sale


def test_seed_demo_makes_register_entries_that_verify(app, session):
    runner = CliRunner()
    assert runner.invoke(cli=app.cli, args=["seed-demo"]).exit_code == 0
    purchases = session.scalars(select(Purchase)).all()
    assert len(purchases) == 4
    assert any(p.late for p in purchases)
    assert any(p.acquisition_type == "donation" and p.seller is None for p in purchases)
    assert session.scalar(select(Sale)) is not None
    assert session.scalar(select(Correction)) is not None
    result = runner.invoke(cli=app.cli, args=["verify-register"])
    assert result.exit_code == 0, result.output


def test_the_health_endpoint_is_trivial(client):
    assert client.get("/healthz").json == {"status": "ok"}
