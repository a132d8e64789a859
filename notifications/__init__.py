"""The outbox: events with a type and a JSON payload, and their delivery as signed webhooks.

This package knows nothing of the register. Register code enqueues events in its own
transaction; the worker process delivers them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def init_app(app, *, session, require_web_role) -> None:
    """Remember the application's session and web authorisation decorator.

    The worker uses ``app.extensions['clock'].now`` as its clock when the application has
    one (tests move it), and UTC wall time otherwise.
    """
    app.extensions["notifications"] = {
        "session": session,
        "require_web_role": require_web_role,
        "periodic_jobs": [],
        "stopping": None,
    }
    from . import models  # noqa: F401  (registers the tables on Base.metadata)


def register_periodic_job(
    app,
    name: str,
    func: Callable,
    *,
    seconds: float | None = None,
    cron: str | dict | None = None,
    one_transaction: bool = True,
) -> None:
    """Have the worker run ``func(app)`` every ``seconds``, or on ``cron``.

    ``cron`` is a crontab line (``"15 3 * * *"``) or APScheduler ``CronTrigger`` keywords
    (``{"hour": 3, "minute": 15}``), in the worker's time zone (``WORKER_TIMEZONE``, Dutch
    time by default). The job runs in an application context as one transaction that the
    worker commits after it returns and rolls back if it raises; with ``one_transaction``
    False the job ends its own units of work (an import stores chunk after chunk). Web
    processes never run these jobs.
    """
    from .worker import PeriodicJob

    if (seconds is None) == (cron is None):
        raise ValueError("give exactly one of seconds= or cron=")
    jobs = app.extensions["notifications"]["periodic_jobs"]
    if any(job.name == name for job in jobs):
        raise ValueError(f"a periodic job named {name!r} exists already")
    jobs.append(
        PeriodicJob(name, func, seconds=seconds, cron=cron, one_transaction=one_transaction)
    )


def worker_stopping(app) -> bool:
    """Whether the worker running this job was asked to stop: a long periodic job ends its
    current step and returns, leaving the rest for the next run."""
    stopping = app.extensions["notifications"].get("stopping")
    return stopping is not None and stopping.is_set()
