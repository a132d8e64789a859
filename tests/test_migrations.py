"""The migration history creates exactly the schema the models declare, on every database."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from register import create_app
from register.extensions import all_metadata, db

from .conftest import TEST_DATABASE_URL, base_config


@pytest.fixture
def empty_database(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_creates_the_schema_of_the_models(empty_database):
    app = create_app(base_config(empty_database))
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "register", "migrations"))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, all_metadata())
        db.engine.dispose()
    assert differences == []


def test_the_holding_period_migration_extends_unsold_items_and_keeps_the_chain(empty_database):
    """Items held from their acquisition get the later hold from their registration day;
    an item already held long enough keeps its own."""
    from datetime import UTC, date, datetime

    from flask_migrate import downgrade

    from register.clock import FakeClock
    from register.purchases.models import Item
    from register.purchases.service import register_purchase
    from tests.factories import Factories
    from tests.register.purchases.helpers import phone, purchase

    directory = os.path.join(os.path.dirname(__file__), "..", "register", "migrations")
    clock = FakeClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    app = create_app(base_config(empty_database, clock))
    with app.app_context():
        upgrade(directory=directory)
        make = Factories(db.session, clock)
        dealer = make.dealer()
        late = register_purchase(db.session, dealer, purchase("2026-11-17T10:00:00+01:00"),
                                 now=clock.now())  # fmt: skip
        other = register_purchase(
            db.session, dealer, purchase(items=[phone("356938035643809")]), now=clock.now()
        )
        db.session.commit()
        late_id, other_id = late.id, other.id
        # As the old rule stored them: the late one held from its acquisition.
        db.session.execute(text("UPDATE items SET hold_until = '2026-11-24' WHERE purchase_id = "
                                f"{late_id}"))  # fmt: skip
        db.session.commit()
        db.session.remove()
        downgrade(directory=directory, revision="2b26f774d851")
        upgrade(directory=directory)
        late_item = db.session.scalar(select(Item).where(Item.purchase_id == late_id))
        other_item = db.session.scalar(select(Item).where(Item.purchase_id == other_id))
        assert late_item.hold_until == date(2026, 12, 4)
        assert late_item.hold_until_registered == date(2026, 11, 24)
        assert late_item.status == "holding"
        assert other_item.hold_until == date(2026, 12, 4)
        assert other_item.hold_until_registered is None
        db.session.remove()
        db.engine.dispose()
