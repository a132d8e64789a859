"""The import jobs' place in the notification worker process (never in web processes)."""

from __future__ import annotations

import logging
import os
import socket
import uuid

from notifications import register_periodic_job, worker_stopping

from ..clock import utcnow
from ..extensions import db
from ..transactions import unit_of_work
from .service import LostClaim, claim_next, run_job

log = logging.getLogger(__name__)


def run_import_jobs(app) -> int:
    """Run every claimable import job, oldest first, until none is left or the worker
    stops; how many were run."""
    session = db.session
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    config = app.config
    ran = 0
    while not worker_stopping(app):
        with unit_of_work(session):
            job_id = claim_next(
                session, token=token, now=utcnow(), stale_after=config["IMPORT_STALE_SECONDS"]
            )
        if job_id is None:
            break
        log.info("import job %s claimed by %s", job_id, token, extra={"import_job_id": job_id})
        try:
            run_job(
                session,
                job_id,
                token,
                now=utcnow,
                chunk_rows=int(config["IMPORT_CHUNK_ROWS"]),
                chunk_seconds=config["IMPORT_CHUNK_SECONDS"],
                pause=chunk_pause(app),
                should_stop=lambda: worker_stopping(app),
            )
        except LostClaim:
            log.warning("import job %s was taken over by another worker", job_id)
        ran += 1
    return ran


def chunk_pause(app) -> float:
    """SQLite: the pause between two chunks (``IMPORT_SQLITE_PAUSE_SECONDS``), in which
    registrations of other dealers take the write lock without waiting for a chunk.
    PostgreSQL needs none: registrations of other dealers never wait for an import's chunk
    there."""
    if db.engine.dialect.name != "sqlite":
        return 0.0
    return float(app.config["IMPORT_SQLITE_PAUSE_SECONDS"])


def init_app(app) -> None:
    register_periodic_job(
        app,
        "import-jobs",
        run_import_jobs,
        seconds=float(app.config["IMPORT_POLL_SECONDS"]),
        one_transaction=False,  # a unit of work per claim and per chunk
    )
