"""Shared fixtures: an app per test on a fresh database, a fake clock, API helpers.

Without TEST_DATABASE_URL the suite runs on SQLite: the schema is created once in a template
file and every test gets its own copy. With TEST_DATABASE_URL (PostgreSQL) the schema is
created once and every table is emptied after each test. Either way each test starts from an
empty database and the code under test commits for real, as it does in production (tests
that start other processes see exactly what a request committed).
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import UTC, datetime

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from register import create_app
from register.clock import FakeClock
from register.database import create_all, drop_all
from register.extensions import all_metadata, db

from .factories import Factories

pytest_plugins = ["tests.browser", "tests.mailcatcher"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
_counter = itertools.count()


def base_config(database_uri: str, clock: FakeClock | None = None, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "POLICE_WEBHOOK_URL": "http://127.0.0.1:9/webhook",
        "POLICE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CHAIN_SECRET": "test-chain-secret",
        "ANCHOR_SECRET": "test-anchor-secret",
        "SERVER_NAME": None,
        # The test's own session only prepares and inspects data: let its reads not hold
        # SQLite's write lock while requests (or a live server's threads) want it.
        "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False,
    }
    if clock is not None:
        config["CLOCK"] = clock
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Create the schema once: a SQLite template file, or the tables on PostgreSQL."""
    if TEST_DATABASE_URL:
        app = create_app(base_config(TEST_DATABASE_URL))
        with app.app_context():
            drop_all()
            with db.engine.begin() as conn:  # alembic_version from a migration test
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            create_all()
            db.engine.dispose()
        yield TEST_DATABASE_URL
        return
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        create_all()
        db.engine.dispose()
    yield path


@pytest.fixture
def database_uri(database_template, tmp_path):
    if TEST_DATABASE_URL:
        yield TEST_DATABASE_URL
        _truncate_all(TEST_DATABASE_URL)
        return
    path = tmp_path / f"test-{next(_counter)}.sqlite"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


def _truncate_all(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = [t.name for metadata in all_metadata() for t in metadata.sorted_tables]
    with engine.begin() as conn:
        conn.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
    engine.dispose()


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # a Friday morning


@pytest.fixture
def app_config():
    """Override in a test module to change the app's configuration."""
    return {}


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    The ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses it
    for requests, so ``g`` (where the bearer-token user and Flask-Babel's locale are cached)
    would otherwise carry over from one request to the next, which never happens in
    production, where each request gets its own app context.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_uri, clock, app_config):
    app = create_app(base_config(database_uri, clock, **app_config))
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def make(app, clock):
    """Factories: ``make.dealer()``, ``make.user(role="police")``, ``make.token(user)``."""
    return Factories(db.session, clock)


@pytest.fixture
def api(client, make):
    """A JSON API caller: ``api.post(path, json, as_=user_or_role)``."""
    from .apiclient import ApiCaller

    return ApiCaller(client, make)
