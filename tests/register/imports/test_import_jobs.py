"""A file over the threshold becomes an import job: queued, run in chunks, all rows or none."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from register.dealers.models import Dealer
from register.imports import service
from register.imports.models import ImportJob
from register.imports.service import claim_next, run_job
from register.imports.worker import run_import_jobs
from register.purchases.chain import verify_dealer
from register.purchases.models import Item, Purchase
from register.transactions import unit_of_work

from .helpers import csv_file, numbered_rows, post_file


@pytest.fixture
def app_config():
    # Tiny sizes, so that a file of a few rows is a job of several chunks.
    return {
        "IMPORT_SYNC_MAX_ROWS": 3,
        "IMPORT_CHUNK_ROWS": 4,
        "IMPORT_CHUNK_SECONDS": None,  # every chunk 4 rows: boundaries the tests can name
        "IMPORT_STALE_SECONDS": 60,
    }


def _prices(session) -> list[int]:
    session.rollback()
    prices = list(session.scalars(select(Item.price_cents).order_by(Item.id)))
    session.rollback()
    return prices


def _count(session, model) -> int:
    session.rollback()
    found = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return found


def test_a_file_up_to_the_threshold_is_still_stored_at_once(api, make, session):
    user = make.user("dealer")
    response = post_file(api, user, csv_file(numbered_rows(3)))
    assert response.status_code == 201, response.json
    assert response.json["items"] == 3
    assert _count(session, ImportJob) == 0


def test_a_larger_file_is_queued_then_runs_and_succeeds_with_its_counts(api, make, session, app):
    user = make.user("dealer")
    response = post_file(api, user, csv_file(numbered_rows(9)))
    assert response.status_code == 202, response.json
    job_id = response.json["id"]
    assert response.json["status"] == "queued"
    assert response.headers["Location"] == f"/api/v1/imports/{job_id}"
    assert _count(session, Purchase) == 0  # nothing stored by the request

    queued = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert (queued["status"], queued["rows_total"], queued["rows_done"]) == ("queued", 9, 0)
    assert queued["purchases"] is None and queued["errors"] == []

    with unit_of_work(session):
        assert claim_next(session, token="t#1", now=app.extensions["clock"].now(), stale_after=60)
    running = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert (running["status"], running["rows_done"]) == ("running", 0)

    assert run_job(session, job_id, "t#1", now=app.extensions["clock"].now, chunk_rows=4) == (
        "succeeded"
    )
    done = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert done["status"] == "succeeded"
    assert (done["rows_total"], done["rows_done"], done["purchases"], done["items"]) == (9, 9, 5, 9)
    assert _prices(session) == list(range(1, 10))
    numbers = sorted(session.scalars(select(Purchase.sequence_number)))
    assert numbers == [1, 2, 3, 4, 5]
    assert verify_dealer(session, session.get(Dealer, user.dealer_id)).ok
    session.rollback()


def test_the_worker_job_runs_every_queued_job_in_turn(api, make, session, app):
    first, second = make.user("dealer"), make.user("dealer")
    assert post_file(api, first, csv_file(numbered_rows(5))).status_code == 202
    assert post_file(api, second, csv_file(numbered_rows(7))).status_code == 202
    assert run_import_jobs(app) == 2
    assert run_import_jobs(app) == 0
    session.rollback()
    statuses = session.execute(select(ImportJob.status, ImportJob.rows_done)).all()
    assert sorted(statuses) == [("succeeded", 5), ("succeeded", 7)]
    assert _count(session, Item) == 12


def test_a_bad_row_fails_the_job_with_every_bad_row_and_stores_nothing(api, make, session, app):
    user = make.user("dealer")
    # The bad rows come after several chunks' worth of good ones: still nothing is stored.
    job_id = post_file(api, user, csv_file(numbered_rows(11, bad=(2, 10)))).json["id"]
    run_import_jobs(app)
    body = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert body["status"] == "failed"
    assert body["rows_done"] == 0 and body["purchases"] is None
    assert body["errors"] == [
        {"row": 3, "errors": {"price_cents": ["The price cannot be negative."]}},
        {"row": 11, "errors": {"price_cents": ["The price cannot be negative."]}},
    ]
    assert body["detail"].startswith("Nothing was stored: 2 row(s) have errors.")
    assert _count(session, Purchase) == 0 and _count(session, Item) == 0


def test_a_file_with_a_wrong_header_is_refused_at_once_not_queued(api, make, session):
    user = make.user("dealer")
    text = csv_file(numbered_rows(9)).replace("seller_city", "colour", 1)
    response = post_file(api, user, text)
    assert response.status_code == 422
    assert response.json["rows"][0]["errors"]["colour"] == ["Unknown column."]
    assert _count(session, ImportJob) == 0


def test_another_dealer_gets_404_for_a_job_as_for_one_that_does_not_exist(api, make):
    owner, other = make.user("dealer"), make.user("dealer")
    job_id = post_file(api, owner, csv_file(numbered_rows(5))).json["id"]
    theirs = api.get(f"/api/v1/imports/{job_id}", as_=other)
    missing = api.get(f"/api/v1/imports/{job_id + 100}", as_=other)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json["detail"] == missing.json["detail"]
    assert api.get(f"/api/v1/imports/{job_id}", as_=owner).status_code == 200


class _Crash(BaseException):
    """The worker process dying: nothing below catches it."""


def test_a_job_whose_worker_died_between_chunks_resumes_and_stores_every_row_once(
    api, make, session, app, clock, monkeypatch
):
    user = make.user("dealer")
    job_id = post_file(api, user, csv_file(numbered_rows(13, per_purchase=3))).json["id"]
    real = service.record_registrations
    calls = []

    def dies_at_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise _Crash
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "record_registrations", dies_at_the_third_chunk)
    with pytest.raises(_Crash):
        run_import_jobs(app)
    monkeypatch.setattr(service, "record_registrations", real)
    # Two chunks of two purchases (six rows each) are stored; the third was rolled back.
    body = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert (body["status"], body["rows_done"]) == ("running", 12)
    assert _prices(session) == list(range(1, 13))

    assert run_import_jobs(app) == 0  # its worker's heartbeat is fresh: not taken over yet
    clock.advance(seconds=61)
    assert run_import_jobs(app) == 1
    body = api.get(f"/api/v1/imports/{job_id}", as_=user).json
    assert (body["status"], body["rows_done"], body["purchases"]) == ("succeeded", 13, 5)
    assert _prices(session) == list(range(1, 14))  # every row once, in file order
    assert sorted(session.scalars(select(Purchase.sequence_number))) == [1, 2, 3, 4, 5]
    assert verify_dealer(session, session.get(Dealer, user.dealer_id)).ok
    session.rollback()


def test_a_worker_that_lost_its_job_to_another_stores_nothing_more(api, make, session, app, clock):
    user = make.user("dealer")
    job_id = post_file(api, user, csv_file(numbered_rows(9))).json["id"]
    with unit_of_work(session):
        claim_next(session, token="old#1", now=clock.now(), stale_after=60)
    clock.advance(seconds=61)
    with unit_of_work(session):
        assert claim_next(session, token="new#1", now=clock.now(), stale_after=60) == job_id
    with pytest.raises(service.LostClaim):
        run_job(session, job_id, "old#1", now=clock.now, chunk_rows=4)
    assert _count(session, Item) == 0
    assert run_job(session, job_id, "new#1", now=clock.now, chunk_rows=4) == "succeeded"
    assert _prices(session) == list(range(1, 10))


def test_a_stop_between_chunks_leaves_the_job_for_the_next_worker_at_once(
    api, make, session, app, clock
):
    user = make.user("dealer")
    job_id = post_file(api, user, csv_file(numbered_rows(9))).json["id"]
    with unit_of_work(session):
        claim_next(session, token="a#1", now=clock.now(), stale_after=60)
    stops = iter([False, True])
    status = run_job(
        session, job_id, "a#1", now=clock.now, chunk_rows=4, should_stop=lambda: next(stops)
    )
    assert status == "running"
    assert api.get(f"/api/v1/imports/{job_id}", as_=user).json["rows_done"] == 4
    assert run_import_jobs(app) == 1  # released: no need to wait for a stale heartbeat
    assert _prices(session) == list(range(1, 10))


def test_the_cli_runs_a_large_file_as_a_job_here(app, make, session, tmp_path):
    user = make.user("dealer")
    path = tmp_path / "kassa.csv"
    path.write_text(csv_file(numbered_rows(9)))
    result = CliRunner().invoke(
        cli=app.cli, args=["import-purchases", str(path), "--dealer", str(user.dealer_id)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 5 purchases with 9 items" in result.output
    assert _prices(session) == list(range(1, 10))


def test_chunks_are_sized_to_take_about_the_configured_time():
    from register.imports.service import ChunkSize

    size = ChunkSize(200, 0.5)
    size.measured(200, 2.0)  # four times too slow: halfway down to 50 rows
    assert size.rows == 125
    size.measured(125, 0.25)  # twice as fast as wanted: halfway up to 250
    assert size.rows == 188
    fixed = ChunkSize(200)
    fixed.measured(200, 10.0)
    assert fixed.rows == 200
