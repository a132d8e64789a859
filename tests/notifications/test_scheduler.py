"""The worker's scheduler: the delivery job and the application's housekeeping jobs."""

from __future__ import annotations

import pytest

import notifications
from notifications.worker import Worker, WorkerSettings
from tests.conftest import WEBHOOK_SECRET


def _worker(app) -> Worker:
    return Worker(
        app,
        settings=WorkerSettings(url="http://127.0.0.1:9/", secret=WEBHOOK_SECRET, poll_seconds=0.5),
    )


def _job(app, name):
    return next(j for j in app.extensions["notifications"]["periodic_jobs"] if j.name == name)


def test_the_delivery_job_coalesces_and_never_overlaps_itself(app):
    scheduler = _worker(app).build_scheduler()
    job = scheduler.get_job("deliver")
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.trigger.interval.total_seconds() == 0.5
    assert type(scheduler).__name__ == "BlockingScheduler"


def test_registered_housekeeping_jobs_are_scheduled_too(app):
    notifications.register_periodic_job(app, "purge", lambda app: None, cron="15 3 * * *")
    notifications.register_periodic_job(app, "plan", lambda app: None, seconds=3600)
    jobs = {job.id: job for job in _worker(app).build_scheduler().get_jobs()}
    assert {"deliver", "purge", "plan"} <= set(jobs)
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert "hour='3'" in str(jobs["purge"].trigger)


def test_a_housekeeping_job_runs_in_an_app_context_and_is_committed(app, session, clock):
    from notifications.outbox import enqueue

    def job(app_):
        assert app_ is app
        enqueue(
            app_.extensions["notifications"]["session"], "housekeeping.done", {}, now=clock.now()
        )

    notifications.register_periodic_job(app, "work", job, seconds=60)
    worker = _worker(app)
    periodic = _job(app, "work")
    worker._housekeeping(periodic)()
    session.rollback()
    from notifications.models import OutboxEvent

    assert session.query(OutboxEvent).filter_by(type="housekeeping.done").count() == 1


def test_a_failing_housekeeping_job_is_rolled_back(app, session, clock):
    from notifications.models import OutboxEvent
    from notifications.outbox import enqueue

    def job(app_):
        enqueue(app_.extensions["notifications"]["session"], "half.done", {}, now=clock.now())
        raise RuntimeError("boom")

    notifications.register_periodic_job(app, "broken", job, seconds=60)
    periodic = _job(app, "broken")
    _worker(app)._housekeeping(periodic)()
    session.rollback()
    assert session.query(OutboxEvent).count() == 0


def test_a_job_needs_exactly_one_schedule(app):
    with pytest.raises(ValueError, match="exactly one"):
        notifications.register_periodic_job(app, "x", lambda app: None)
    with pytest.raises(ValueError, match="exactly one"):
        notifications.register_periodic_job(app, "x", lambda app: None, seconds=1, cron="* * * * *")
