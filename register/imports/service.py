"""Import jobs: accept a large CSV file, then validate it whole and store it in chunks.

All rows or none: every row is validated before anything is written, and a bad row fails
the job with every bad row listed. Then the purchases are stored in chunks of whole
purchases, each chunk one unit of work that also advances ``rows_done``; a worker that dies
leaves the job at its last committed chunk, and the worker that takes the job over goes on
from there (no purchase twice, none missing). Between chunks other registrations get the
database: on SQLite they wait for one chunk at most.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..dealers.models import Dealer
from ..purchases.importer import Group, ImportRejected, parse, row_count, validate
from ..purchases.messages import Message
from ..purchases.service import RegisterError, ensure_active, record_registrations, rules_for
from ..transactions import unit_of_work
from .models import ImportFile, ImportJob, ImportStatus, transition_job

log = logging.getLogger(__name__)


class LostClaim(Exception):
    """Another worker holds the job now (this one was thought dead): stop without writing."""


def create_job(
    session: Session,
    dealer: Dealer,
    text: str,
    groups: list[Group],
    *,
    now: datetime,
    user_id: int | None,
    filename: str | None = None,
) -> ImportJob:
    """A queued job for a parsed file, stored with the file (flushes, never commits)."""
    ensure_active(dealer)
    job = ImportJob(
        dealer_id=dealer.id,
        user_id=user_id,
        filename=(filename or None) and filename[:255],
        status=ImportStatus.QUEUED.value,
        rows_total=row_count(groups),
        rows_done=0,
        purchases=0,
        items=0,
        created_at=now,
    )
    job.file = ImportFile(content=text)
    session.add(job)
    session.flush()
    log.info(
        "import job %s queued: %s rows for dealer %s",
        job.id,
        job.rows_total,
        dealer.id,
        extra={"import_job_id": job.id, "dealer_id": dealer.id},
    )
    return job


def claim_next(session: Session, *, token: str, now: datetime, stale_after: float) -> int | None:
    """Take the oldest queued job, or a running one whose worker stopped beating, for
    ``token``; its id, or None (flushes; the caller commits). The statement's condition is
    the transitions ``IMPORT_TRANSITIONS`` allows into running. PostgreSQL skips a job
    another worker is claiming at this moment; SQLite's single writer makes the UPDATE
    atomic."""
    stale = now - timedelta(seconds=stale_after)
    candidate = (
        select(ImportJob.id)
        .where(
            or_(
                ImportJob.status == ImportStatus.QUEUED.value,
                and_(
                    ImportJob.status == ImportStatus.RUNNING.value,
                    or_(ImportJob.heartbeat_at.is_(None), ImportJob.heartbeat_at < stale),
                ),
            )
        )
        .order_by(ImportJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(ImportJob)
        .where(ImportJob.id == candidate.scalar_subquery())
        .values(status=ImportStatus.RUNNING.value, claimed_by=token, heartbeat_at=now)
        .returning(ImportJob.id, ImportJob.started_at)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(statement).first()
    if row is None:
        return None
    if row.started_at is None:
        session.execute(update(ImportJob).where(ImportJob.id == row.id).values(started_at=now))
    return row.id


def _beat(session: Session, job_id: int, token: str, now: datetime, rows_done: int) -> None:
    """Show the job's worker alive; LostClaim if another worker took the job or stored rows
    meanwhile. On PostgreSQL the update locks the job's row until the commit, so two
    workers never store one chunk together."""
    moved = session.execute(
        update(ImportJob)
        .where(
            ImportJob.id == job_id,
            ImportJob.claimed_by == token,
            ImportJob.rows_done == rows_done,
        )
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LostClaim(job_id)


def plain_messages(errors: dict) -> dict:
    """Errors by column with each message as {"text", "template", "params"} (JSON)."""
    return {
        column: [_plain(message) for message in messages] for column, messages in errors.items()
    }


def _plain(message) -> dict:
    if isinstance(message, Message):
        return {"text": str(message), "template": message.template, "params": message.params}
    return {"text": str(message), "template": str(message), "params": {}}


def as_message(plain: dict) -> Message:
    return Message(plain["template"], **plain["params"])


def _fail(session: Session, job_id: int, token: str, detail, rows: list[dict], now) -> None:
    job = session.get(ImportJob, job_id, with_for_update=True, populate_existing=True)
    if job.claimed_by != token:
        raise LostClaim(job_id)
    transition_job(job, ImportStatus.FAILED)
    job.detail = _plain(detail)
    job.errors = [{"row": r["row"], "errors": plain_messages(r["errors"])} for r in rows]
    job.finished_at = now
    job.claimed_by = None
    log.info(
        "import job %s failed: %s",
        job_id,
        detail,
        extra={"import_job_id": job_id, "dealer_id": job.dealer_id},
    )


class ChunkSize:
    """How many rows the next chunk takes: ``rows`` at first, then, with ``seconds`` given,
    as many as the last chunks stored in about that time, so that a chunk (what another
    registration waits for on SQLite) takes about as long on a slow machine as on a fast
    one."""

    def __init__(self, rows: int, seconds: float | None = None):
        self.rows, self.seconds = rows, seconds

    def measured(self, rows: int, elapsed: float) -> None:
        if self.seconds and elapsed > 0:
            wanted = rows * self.seconds / elapsed
            # Halfway there each time: one slow chunk does not swing the size.
            self.rows = max(10, min(10_000, round((self.rows + wanted) / 2)))


def _chunks(
    groups: list[Group], registrations: list[dict], size: ChunkSize
) -> Iterator[tuple[list[dict], int]]:
    """Whole purchases in chunks of about ``size.rows`` rows: (registrations, rows)."""
    chunk: list[dict] = []
    count = 0
    for group, registration in zip(groups, registrations, strict=True):
        chunk.append(registration)
        count += len(group.rows)
        if count >= size.rows:
            yield chunk, count
            chunk, count = [], 0
    if chunk:
        yield chunk, count


def run_job(
    session: Session,
    job_id: int,
    token: str,
    *,
    now: Callable[[], datetime],
    chunk_rows: int,
    chunk_seconds: float | None = None,
    pause: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Validate the claimed job's file whole, then store its purchases from ``rows_done``
    on, a chunk per unit of work (``ChunkSize``), ``pause`` seconds apart; the job's status
    when this returns. A stop request between chunks leaves the job running, unclaimed, for the next
    worker."""
    with unit_of_work(session):
        job = session.get(ImportJob, job_id, populate_existing=True)
        text = session.scalar(select(ImportFile.content).where(ImportFile.job_id == job_id))
        dealer_id, user_id, done = job.dealer_id, job.user_id, job.rows_done
        dealer = session.get(Dealer, dealer_id)
        # Validated as of its arrival, so a job taken over validates as it did at first.
        rules = rules_for(dealer, _aware(job.created_at))
    beats = _Beats(session, job_id, token, now, done)
    try:
        groups = parse(text)
        start = _first_unstored(groups, done)
        registrations = validate(groups[start:], rules, progress=beats.validated)
    except ImportRejected as exc:
        with unit_of_work(session):
            _fail(session, job_id, token, exc.detail, exc.rows, now())
        return ImportStatus.FAILED.value
    if progress and done:
        progress(done)
    size = ChunkSize(chunk_rows, chunk_seconds)
    for index, (chunk, rows) in enumerate(_chunks(groups[start:], registrations, size)):
        if index and pause:
            time.sleep(pause)
        if should_stop():
            with unit_of_work(session):
                _release(session, job_id, token)
            return ImportStatus.RUNNING.value
        started = time.perf_counter()
        try:
            with unit_of_work(session):
                _store_chunk(session, job_id, token, chunk, rows, done, now=now(), user_id=user_id)
        except RegisterError as exc:  # the dealer was disconnected from the DOR meanwhile
            with unit_of_work(session):
                _fail(session, job_id, token, exc.detail, [], now())
            return ImportStatus.FAILED.value
        size.measured(rows, time.perf_counter() - started)
        done += rows
        if progress:
            progress(rows)
    with unit_of_work(session):
        _beat(session, job_id, token, now(), done)
        finished = session.get(ImportJob, job_id, populate_existing=True)
        transition_job(finished, ImportStatus.SUCCEEDED)
        finished.finished_at = now()
        finished.claimed_by = None
    log.info(
        "import job %s succeeded: %s rows",
        job_id,
        done,
        extra={"import_job_id": job_id, "dealer_id": dealer_id},
    )
    return ImportStatus.SUCCEEDED.value


def _store_chunk(session, job_id, token, chunk, rows, done, *, now, user_id) -> None:
    _beat(session, job_id, token, now, done)
    dealer = session.get(Dealer, session.get(ImportJob, job_id).dealer_id)
    purchases = record_registrations(session, dealer, chunk, now=now, user_id=user_id)
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            rows_done=ImportJob.rows_done + rows,
            purchases=ImportJob.purchases + len(purchases),
            items=ImportJob.items + sum(len(p.items) for p in purchases),
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def _release(session: Session, job_id: int, token: str) -> None:
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.claimed_by == token)
        .values(claimed_by=None, heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )


def _first_unstored(groups: list[Group], rows_done: int) -> int:
    """The index of the first purchase not yet stored: chunks hold whole purchases."""
    rows = 0
    for index, group in enumerate(groups):
        if rows == rows_done:
            return index
        rows += len(group.rows)
    if rows == rows_done:
        return len(groups)
    raise RuntimeError(f"{rows_done} rows stored is not the end of a purchase")


class _Beats:
    """The heartbeat while a large file is validated (no chunk is stored meanwhile)."""

    EVERY_ROWS = 5_000

    def __init__(self, session, job_id, token, now, done):
        self.session, self.job_id, self.token, self.now, self.done = (
            session,
            job_id,
            token,
            now,
            done,
        )
        self.rows = 0

    def validated(self, rows: int) -> None:
        before = self.rows // self.EVERY_ROWS
        self.rows += rows
        if self.rows // self.EVERY_ROWS != before:
            with unit_of_work(self.session):
                _beat(self.session, self.job_id, self.token, self.now(), self.done)


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
