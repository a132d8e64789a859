"""On SQLite, requests that may write take the write lock when their transaction begins.

A read transaction that later writes fails at once ("database is locked") when another
process wrote in between; beginning IMMEDIATE makes it wait its turn instead.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from register.extensions import db
from tests.register.purchases.helpers import purchase, register


@pytest.fixture
def database_uri(tmp_path):
    """Always SQLite, whatever database the rest of the suite runs on."""
    from register import create_app
    from register.database import create_all
    from tests.conftest import base_config

    uri = f"sqlite:///{tmp_path / 'modes.sqlite'}"
    app = create_app(base_config(uri))
    with app.app_context():
        create_all()
        db.engine.dispose()
    return uri


@pytest.fixture
def begins(app):
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", record)


def test_writes_and_audited_reads_begin_immediate_and_plain_reads_do_not(
    api, make, session, begins
):
    dealer_user = make.user("dealer")
    police = make.user("police")
    officer = make.user("enforcement")
    api.headers(officer)  # its token is made now, outside the requests measured below
    purchase_id = register(api, dealer_user, purchase())["id"]
    session.commit()

    begins.clear()
    api.post("/api/v1/purchases", json=purchase(), as_=dealer_user)
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}

    begins.clear()
    api.get(f"/api/v1/purchases/{purchase_id}?purpose=case 2026-17", as_=police)
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}

    begins.clear()
    api.get("/api/v1/inspections/tasks", as_=officer)
    assert begins and set(begins) == {"BEGIN"}
