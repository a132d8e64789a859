"""The worker runs the register's housekeeping: the retention purge and inspection planning."""

from __future__ import annotations

from notifications.worker import Worker, WorkerSettings
from register.inspections.models import InspectionTask
from register.purchases.models import Purchase
from tests.conftest import WEBHOOK_SECRET
from tests.register.purchases.helpers import register


def _scheduled_jobs(app):
    worker = Worker(app, settings=WorkerSettings(url="http://127.0.0.1:9/", secret=WEBHOOK_SECRET))
    return worker, {job.id: job for job in worker.build_scheduler().get_jobs()}


def test_the_worker_schedules_the_purge_and_the_inspection_planning_every_night(app):
    _, jobs = _scheduled_jobs(app)
    assert "hour='2'" in str(jobs["purge-expired"].trigger)
    assert "hour='3'" in str(jobs["schedule-inspections"].trigger)


def test_the_nightly_purge_blanks_seller_data_older_than_four_years(app, api, make, clock, session):
    body = register(api, make.user("dealer"))
    clock.advance(days=4 * 365 + 2)
    _, jobs = _scheduled_jobs(app)
    jobs["purge-expired"].func()
    seller = session.get(Purchase, body["id"]).seller
    assert seller.purged_at is not None and seller.name is None


def test_the_nightly_planning_opens_due_inspection_tasks(app, make, clock, session):
    dealer = make.dealer(active=True)
    clock.advance(days=400)  # more than a year without registrations or visits
    _, jobs = _scheduled_jobs(app)
    jobs["schedule-inspections"].func()
    reasons = {t.reason for t in session.query(InspectionTask).filter_by(dealer_id=dealer.id)}
    assert reasons == {"no_registrations"}
