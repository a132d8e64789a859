"""Scheduled housekeeping, run by the notification worker (never by web processes)."""

from __future__ import annotations

import logging

from notifications import register_periodic_job

from .clock import utcnow
from .extensions import db

log = logging.getLogger(__name__)


def purge_expired_seller_data(app) -> None:
    """Daily: blank seller personal data older than the retention period (AVG)."""
    from .purchases.retention import purge_expired

    result = purge_expired(
        db.session, now=utcnow(), retention_days=app.config["SELLER_DATA_RETENTION_DAYS"]
    )
    log.info("retention purge: %s", result)


def schedule_inspections(app) -> None:
    """Daily: open the inspection tasks that are due (missing reports, quiet dealers, routine)."""
    from .inspections.scheduling import schedule_inspections as schedule

    opened = schedule(db.session, utcnow())
    log.info("inspection scheduling opened %s", dict(opened))


def delete_expired_idempotency_keys(app) -> None:
    """Hourly: forget Idempotency-Keys past their 24 hours."""
    from .idempotency import delete_expired

    log.info("idempotency keys deleted: %s", delete_expired(db.session, utcnow()))


def init_app(app) -> None:
    # At night, Dutch time: the register is quiet and the day's dates have turned over.
    register_periodic_job(app, "purge-expired", purge_expired_seller_data, cron="30 2 * * *")
    register_periodic_job(app, "schedule-inspections", schedule_inspections, cron="0 3 * * *")
    register_periodic_job(
        app, "expire-idempotency-keys", delete_expired_idempotency_keys, cron="17 * * * *"
    )
