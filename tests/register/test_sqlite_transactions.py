"""On SQLite, requests that may write take the write lock when their transaction begins.

A read transaction that later writes fails at once ("database is locked") when another
process wrote in between; beginning IMMEDIATE makes it wait its turn instead.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from register.extensions import db
from tests.register.purchases.helpers import purchase


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
    api, make, session, begins, clock
):
    dealer, police, officer = (
        api.headers(make.user(role)) for role in ("dealer", "police", "enforcement")
    )
    client = api.client
    purchase_id = client.post("/api/v1/purchases", json=purchase(), headers=dealer).json["id"]

    def begins_of(call):
        session.commit()  # the test's own session holds no transaction into the request
        begins.clear()
        response = call()
        assert response.status_code < 300, response.json
        return set(begins)

    # A registration is one transaction that takes the write lock when it begins.
    begins_of(lambda: client.post("/api/v1/purchases", json=purchase(), headers=dealer))
    assert begins == ["BEGIN IMMEDIATE"]
    # So do other writes, and reads that state a purpose (they write the audit log).
    item_id = client.get(f"/api/v1/purchases/{purchase_id}", headers=dealer).json["items"][0]["id"]
    correction = {"reason": "typo", "changes": {"items": [{"id": item_id, "model": "13 mini"}]}}
    assert begins_of(
        lambda: client.post(
            f"/api/v1/purchases/{purchase_id}/corrections", json=correction, headers=dealer
        )
    ) == {"BEGIN IMMEDIATE"}
    assert begins_of(
        lambda: client.get(f"/api/v1/purchases/{purchase_id}?purpose=case 17", headers=police)
    ) == {"BEGIN IMMEDIATE"}

    # A read whose token's last use is due to be written takes it too (``tokens.use_due``);
    # within the minute after, the same token's reads are plain reads.
    def tasks():
        return client.get("/api/v1/inspections/tasks", headers=officer)

    assert begins_of(tasks) == {"BEGIN IMMEDIATE"}
    assert begins_of(tasks) == {"BEGIN"}
    clock.advance(minutes=1)
    assert begins_of(tasks) == {"BEGIN IMMEDIATE"}


@pytest.fixture
def app_config():
    return {"SQLITE_BUSY_TIMEOUT_MS": 200, "PROPAGATE_EXCEPTIONS": False}


def test_a_writer_that_cannot_get_the_lock_in_time_answers_503_and_stores_nothing(
    api, make, session, database_uri
):
    """Another process holding SQLite's write lock past busy_timeout makes a registration a
    retryable 503 problem (and a Dutch busy page on the web), never a 500."""
    import sqlite3

    from register.purchases.models import Purchase

    dealer = api.headers(make.user("dealer"))
    session.commit()
    other = sqlite3.connect(database_uri.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    try:
        response = api.client.post("/api/v1/purchases", json=purchase(), headers=dealer)
        page = api.client.post("/login", data={"email": "a@b.nl", "password": "x" * 12})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.content_type == "application/problem+json"
    assert response.json["detail"].startswith("The register is busy")
    assert page.status_code == 503
    assert "Het register is even bezet" in page.get_data(as_text=True)
    assert session.query(Purchase).count() == 0
    retried = api.client.post("/api/v1/purchases", json=purchase(), headers=dealer)
    assert retried.status_code == 201


def test_a_writer_that_finds_the_lock_taken_waits_for_it_and_stores(
    api, make, session, database_uri, begins
):
    """Another process committing within busy_timeout: the registration takes the lock
    as soon as it is free (``database._begin_immediate`` asks again) and is stored."""
    import sqlite3
    import threading

    from register.purchases.models import Purchase

    dealer = api.headers(make.user("dealer"))
    session.commit()
    other = sqlite3.connect(
        database_uri.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.1, lambda: other.execute("COMMIT"))  # within the 200 ms
    release.start()
    begins.clear()
    try:
        response = api.client.post("/api/v1/purchases", json=purchase(), headers=dealer)
    finally:
        release.join()
        other.close()
    assert response.status_code == 201, response.json
    assert len(begins) > 1  # it found the lock taken, and asked again
    assert session.query(Purchase).count() == 1
