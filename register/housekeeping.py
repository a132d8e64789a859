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


def anchor_heads(app) -> None:
    """Daily: write the signed statement of every chain head (``anchor-heads``)."""
    from .integrity.anchors import write_anchor
    from .integrity.cli import anchor_directory

    path = write_anchor(db.session, anchor_directory(), utcnow())
    log.info("chain heads anchored in %s", path)


def find_low_prices(app) -> None:
    """Hourly: low-price alerts for the goods registered since the last run."""
    from .investigation.alerts import find_low_prices as find

    raised = find(db.session, now=utcnow())
    log.info("low-price alerts raised: %s", raised)


def delete_expired_idempotency_keys(app) -> None:
    """Hourly: forget Idempotency-Keys past their 24 hours."""
    from .idempotency import delete_expired

    log.info("idempotency keys deleted: %s", delete_expired(db.session, utcnow()))


def forget_old_sign_in_failures(app) -> None:
    """Hourly: remove failed-sign-in counts that no longer count."""
    from .accounts.signin import forget_old_failures

    log.info("old sign-in failure counts deleted: %s", forget_old_failures(db.session, utcnow()))


def init_app(app) -> None:
    # At night, Dutch time: the register is quiet and the day's dates have turned over.
    register_periodic_job(app, "purge-expired", purge_expired_seller_data, cron="30 2 * * *")
    register_periodic_job(app, "schedule-inspections", schedule_inspections, cron="0 3 * * *")
    register_periodic_job(app, "anchor-heads", anchor_heads, cron="15 0 * * *")
    register_periodic_job(
        app, "low-price-alerts", find_low_prices, seconds=app.config["ALERT_LOW_PRICE_JOB_SECONDS"]
    )
    from .imports import worker as import_jobs

    import_jobs.init_app(app)
    register_periodic_job(
        app, "expire-idempotency-keys", delete_expired_idempotency_keys, cron="17 * * * *"
    )
    register_periodic_job(
        app, "forget-sign-in-failures", forget_old_sign_in_failures, cron="23 * * * *"
    )
