"""Import jobs in a real ``flask --app register worker`` process, killed and restarted."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from register.imports.models import ImportJob
from register.purchases.models import Item, Purchase
from tests.notifications.helpers import WorkerProcess, wait_until, worker_env

from .helpers import csv_file, numbered_rows, post_file

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config():
    return {"IMPORT_SYNC_MAX_ROWS": 3}


@pytest.fixture
def processes():
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        process.ensure_stopped()


def _job(session, job_id: int) -> tuple[str, int]:
    session.rollback()
    row = session.execute(
        select(ImportJob.status, ImportJob.rows_done).where(ImportJob.id == job_id)
    ).one()
    session.rollback()
    return row.status, row.rows_done


def _env(database_uri, **config):
    config.setdefault("IMPORT_CHUNK_SECONDS", "null")  # fixed chunks: a kill lands midway
    return worker_env(database_uri, "http://127.0.0.1:9/webhook", IMPORT_POLL_SECONDS=0.1, **config)


def test_the_worker_process_runs_a_queued_import_job(api, make, session, database_uri, processes):
    user = make.user("dealer")
    job_id = post_file(api, user, csv_file(numbered_rows(40))).json["id"]
    session.rollback()
    worker = WorkerProcess(_env(database_uri, IMPORT_CHUNK_ROWS=10))
    processes.append(worker)
    wait_until(lambda: _job(session, job_id)[0] == "succeeded", 300, message="the job succeeded")
    assert worker.terminate() == 0, "\n".join(worker.lines[-40:])
    assert _job(session, job_id) == ("succeeded", 40)
    body = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert (body["purchases"], body["items"]) == (20, 40)


def test_a_killed_worker_leaves_its_chunks_and_the_next_one_stores_the_rest_once(
    api, make, session, database_uri, processes
):
    user = make.user("dealer")
    count = 1000
    job_id = post_file(api, user, csv_file(numbered_rows(count))).json["id"]
    session.rollback()
    env = _env(
        database_uri, IMPORT_CHUNK_ROWS=10, IMPORT_STALE_SECONDS=1, IMPORT_SQLITE_PAUSE_SECONDS=0.01
    )
    first = WorkerProcess(env)
    processes.append(first)
    wait_until(lambda: _job(session, job_id)[1] > 0, 300, 0.01, message="a chunk stored")
    first.kill()
    status, done = _job(session, job_id)
    assert status == "running" and 0 < done < count, (status, done)

    second = WorkerProcess(env)
    processes.append(second)
    wait_until(lambda: _job(session, job_id)[0] == "succeeded", 300, message="the job succeeded")
    assert second.terminate() == 0
    session.rollback()
    prices = Counter(session.scalars(select(Item.price_cents)))
    numbers = sorted(session.scalars(select(Purchase.sequence_number)))
    session.rollback()
    assert set(prices) == set(range(1, count + 1)) and set(prices.values()) == {1}
    assert numbers == list(range(1, count // 2 + 1))
    assert any("import job" in line and "claimed" in line for line in second.lines)


def test_another_dealer_registers_while_a_job_runs_between_its_chunks(
    api, make, session, database_uri, processes
):
    from tests.register.purchases.helpers import purchase

    importer, other = make.user("dealer"), make.user("dealer")
    job_id = post_file(api, importer, csv_file(numbered_rows(1000))).json["id"]
    headers = api.headers(other)
    session.rollback()  # the request shares this session: let it begin its own transaction
    worker = WorkerProcess(_env(database_uri, IMPORT_CHUNK_ROWS=20))
    processes.append(worker)
    wait_until(lambda: _job(session, job_id)[1] > 0, 300, 0.01, message="a chunk stored")

    response = api.client.post("/api/v1/purchases", json=purchase(), headers=headers)
    assert response.status_code == 201, response.json
    status, done = _job(session, job_id)
    assert status == "running" and done < 1000  # it got in between two chunks
    wait_until(lambda: _job(session, job_id)[0] == "succeeded", 300, message="the job succeeded")
    assert worker.terminate() == 0, "\n".join(worker.lines[-40:])
