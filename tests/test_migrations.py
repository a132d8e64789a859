"""The migration history creates exactly the schema the models declare, on every database."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

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
