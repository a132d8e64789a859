"""The notification worker: claim due events, deliver them, record the outcome, sweep.

The row is the queue. A claim is its own short transaction, committed before any HTTP call,
so a crash during delivery leaves a row ``in_flight``, claimed by the dead worker's identity.
Every worker has a row in ``notification_workers`` whose heartbeat it refreshes every few
seconds; each worker's heartbeat job also takes back the claims of workers whose heartbeat
stopped (or whose row is gone), as a lost attempt due again at once, and another worker
delivers them again with the same webhook-id: at least once, never lost, within seconds.
The sweeper keeps one case: a worker that still beats but holds a claim longer than the
in-flight timeout (it could not record an outcome) has that claim returned to the queue.

On PostgreSQL the claim selects due rows ``FOR UPDATE SKIP LOCKED``, so any number of workers
share the queue without taking the same row. On SQLite the claim is one atomic
``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING`` (SQLite has one writer at a time).
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from .delivery import DeliveryResult, RetryPolicy, WebhookSender
from .mail import MAIL_EVENT_TYPE, MailSettings, SmtpSender
from .models import (
    ATTEMPT_DELIVERED,
    ATTEMPT_FAILED,
    ATTEMPT_LOST,
    DEAD,
    DELIVERED,
    IN_FLIGHT,
    PENDING,
    DeliveryAttempt,
    NotificationWorker,
    OutboxEvent,
)
from .outbox import IllegalTransition, aware, claimable_statuses, transition, transition_many

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """An event this worker holds, detached from any transaction."""

    id: int
    message_id: str
    payload: dict
    token: str
    type: str = "hit.created"


def claim_due(session: Session, *, now: datetime, token: str, limit: int) -> list[Claim]:
    """Mark up to ``limit`` due events in flight for ``token`` (flushes; the caller commits)."""
    due = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.status.in_(claimable_statuses()),
            OutboxEvent.next_attempt_at <= now,
        )
        # Oldest due first; ties in index order (adding id would sort every due row).
        .order_by(OutboxEvent.next_attempt_at)
        .limit(limit)
        # PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
        # SQLite ignores the clause; its single writer makes the UPDATE atomic.
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(due.scalar_subquery()))
        .values(status=IN_FLIGHT, claimed_at=now, claimed_by=token, updated_at=now)
        .returning(OutboxEvent.id, OutboxEvent.message_id, OutboxEvent.payload, OutboxEvent.type)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).all()
    return sorted(
        (Claim(row.id, row.message_id, row.payload, token, row.type) for row in rows),
        key=lambda claim: claim.id,
    )


_INSERT_ATTEMPT = insert(DeliveryAttempt.__table__)
_ATTEMPT_COLUMNS = tuple(c.key for c in DeliveryAttempt.__table__.columns if c.key != "id")


def _add_attempt(session: Session, event_id: int, **values) -> None:
    # One statement made once, the values as parameters: building and caching a statement
    # per attempt cost more than running it.
    params = dict.fromkeys(_ATTEMPT_COLUMNS)
    params.update(values, event_id=event_id)
    session.connection().execute(_INSERT_ATTEMPT, params)


def relax_commit(session: Session) -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL is flushed to disk.

    Only for the worker's own bookkeeping (claims, outcomes): if the database server crashes
    in the fraction of a second before the flush, the claim or the outcome is lost, the event
    is pending or in flight again and is sent once more, which at-least-once delivery allows
    (receivers deduplicate by webhook-id). Nothing is lost. SQLite (WAL, synchronous=NORMAL)
    does not wait for the disk on commit anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _record_failure(
    session: Session,
    event_id: int,
    token: str,
    error: str,
    *,
    now: datetime,
    policy: RetryPolicy,
    retry_at: datetime | None = None,
) -> bool:
    """Count a failed attempt on ``token``'s claim: retry later with backoff (or at
    ``retry_at``), or give up once the whole retry window has passed. False when the claim
    is no longer the row's."""
    row = session.execute(
        select(
            OutboxEvent.status,
            OutboxEvent.claimed_by,
            OutboxEvent.attempts,
            OutboxEvent.retry_window_start,
            OutboxEvent.created_at,
        ).where(OutboxEvent.id == event_id)
    ).one()
    if row.status != IN_FLIGHT or row.claimed_by != token:
        return False
    attempts = row.attempts + 1
    window_start = aware(row.retry_window_start) or aware(row.created_at)
    common = {"attempts": attempts, "last_error": error, "claimed_at": None, "claimed_by": None}
    if policy.gives_up(window_start, now):
        moved = transition(session, event_id, DEAD, now=now, claim=token, **common)
        if moved:
            log.warning(
                "event %s is dead after %s attempts: %s",
                event_id,
                attempts,
                error,
                extra={"event_id": event_id},
            )
        return moved
    return transition(
        session,
        event_id,
        PENDING,
        now=now,
        from_statuses=(IN_FLIGHT,),
        claim=token,
        next_attempt_at=retry_at or now + policy.delay(attempts),
        **common,
    )


def record_outcome(
    session: Session,
    claim: Claim,
    result: DeliveryResult,
    *,
    started_at: datetime,
    now: datetime,
    worker_id: str,
    policy: RetryPolicy,
) -> None:
    """Write what one attempt came to (flushes; the caller commits)."""
    _add_attempt(
        session,
        claim.id,
        worker_id=worker_id,
        started_at=started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        outcome=ATTEMPT_DELIVERED if result.ok else ATTEMPT_FAILED,
        error=result.error,
    )
    if result.ok:
        try:
            # Even on another worker's claim (ours was swept) this is true; from a final
            # status it is a replay and ignored.
            moved = transition(
                session,
                claim.id,
                DELIVERED,
                now=now,
                delivered_at=now,
                attempts=OutboxEvent.attempts + 1,
                last_error=None,
                claimed_at=None,
                claimed_by=None,
            )
        except IllegalTransition:
            # Swept back to pending while this worker was slow: it goes once more.
            log.info("event %s delivered late by %s", claim.id, worker_id)
            return
        if not moved:
            log.info("event %s was delivered already", claim.id, extra={"event_id": claim.id})
        return
    _record_failure(
        session, claim.id, claim.token, result.error or "failed", now=now, policy=policy
    )


def record_delivered(session: Session, outcomes, *, worker_id: str) -> bool:
    """``record_outcome`` for many successful attempts at once: every attempt row in one
    ``executemany``, every event moved to delivered in another (``transition_many``).
    False when an attempt failed or an event could not move: the caller rolls back what
    this wrote (a savepoint) and records each with ``record_outcome``."""
    if not all(result.ok for _claim, _started, result, _now in outcomes):
        return False
    rows = []
    for claim, started_at, result, _now in outcomes:
        params = dict.fromkeys(_ATTEMPT_COLUMNS)
        params.update(event_id=claim.id, worker_id=worker_id, started_at=started_at,
                      duration_ms=result.duration_ms, status_code=result.status_code,
                      outcome=ATTEMPT_DELIVERED, error=None)  # fmt: skip
        rows.append(params)
    session.connection().execute(_INSERT_ATTEMPT, rows)
    return transition_many(
        session,
        [(claim.id, now) for claim, _started, _result, now in outcomes],
        DELIVERED,
        now_columns=("delivered_at",),
        attempts=OutboxEvent.attempts + 1,
        last_error=None,
        claimed_at=None,
        claimed_by=None,
    )


def release(session: Session, claims: list[Claim], *, now: datetime) -> None:
    """Hand back claimed events this worker will not attempt (it is stopping)."""
    for claim in claims:
        transition(
            session,
            claim.id,
            PENDING,
            now=now,
            from_statuses=(IN_FLIGHT,),
            claim=claim.token,
            next_attempt_at=now,
            claimed_at=None,
            claimed_by=None,
        )


def _hand_back(
    session: Session, event_id: int, claimed_by: str, claimed_at, error: str, *,
    worker_id: str, now: datetime, policy: RetryPolicy, retry_at: datetime | None = None,
) -> bool:  # fmt: skip
    """Count a claim that gave no outcome as a lost attempt and make the event due again
    (``_record_failure``); False when the claim is no longer the row's."""
    if not _record_failure(
        session, event_id, claimed_by, error, now=now, policy=policy, retry_at=retry_at
    ):
        return False
    _add_attempt(session, event_id, worker_id=worker_id, started_at=aware(claimed_at),
                 outcome=ATTEMPT_LOST, error=error)  # fmt: skip
    return True


def sweep_stuck(
    session: Session,
    *,
    now: datetime,
    timeout: timedelta,
    policy: RetryPolicy,
    worker_id: str | None = None,
    limit: int = 500,
) -> int:
    """Return events in flight for longer than ``timeout`` (their worker died) to the queue."""
    stuck = session.execute(
        select(OutboxEvent.id, OutboxEvent.claimed_by, OutboxEvent.claimed_at)
        .where(OutboxEvent.status == IN_FLIGHT, OutboxEvent.claimed_at < now - timeout)
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    swept = 0
    for event_id, claimed_by, claimed_at in stuck:
        error = f"no outcome from {claimed_by} within {int(timeout.total_seconds())} s"
        if _hand_back(session, event_id, claimed_by, claimed_at, error,
                      worker_id=worker_id, now=now, policy=policy):  # fmt: skip
            log.warning("swept event %s: %s", event_id, error, extra={"event_id": event_id})
            swept += 1
    session.flush()
    return swept


def claim_owner(token: str | None) -> str:
    """The worker identity a claim token ``"<worker id>#<claim number>"`` names."""
    return (token or "").rpartition("#")[0]


def beat(session: Session, worker_id: str, *, now: datetime) -> None:
    """Refresh ``worker_id``'s heartbeat, registering it when its row is missing (its first
    beat, or after others took it for dead and removed it). Flushes; the caller commits."""
    moved = session.execute(
        update(NotificationWorker)
        .where(NotificationWorker.id == worker_id)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:
        session.execute(
            insert(NotificationWorker).values(id=worker_id, started_at=now, heartbeat_at=now)
        )


def retire(session: Session, worker_id: str) -> None:
    """Remove a stopping worker's row (it handed back its claims)."""
    session.execute(delete(NotificationWorker).where(NotificationWorker.id == worker_id))


def reclaim_from_dead_workers(
    session: Session,
    *,
    now: datetime,
    dead_after: timedelta,
    policy: RetryPolicy,
    worker_id: str,
    limit: int = 500,
) -> int:
    """Take back the claims of workers that are dead (no heartbeat for ``dead_after``, or
    no row), each as a lost attempt due again at once; remove the dead workers' rows.

    Each hand-back is ``_record_failure``'s compare-and-set on the claim token, so two
    workers reclaiming at once hand an event back once, and an outcome the dead worker
    recorded first wins. The retry is not delayed: the worker died, the receiver did not
    refuse; the retry window still ends the retries of an event that kills its workers.
    """
    cutoff = now - dead_after
    alive = set(
        session.scalars(
            select(NotificationWorker.id).where(NotificationWorker.heartbeat_at >= cutoff)
        )
    )
    alive.add(worker_id)
    in_flight = session.execute(
        select(OutboxEvent.id, OutboxEvent.claimed_by, OutboxEvent.claimed_at)
        .where(OutboxEvent.status == IN_FLIGHT)
        .order_by(OutboxEvent.id)
    ).all()
    orphaned = [row for row in in_flight if claim_owner(row.claimed_by) not in alive][:limit]
    reclaimed = 0
    for event_id, claimed_by, claimed_at in orphaned:
        error = f"worker {claim_owner(claimed_by) or claimed_by} stopped beating"
        if _hand_back(session, event_id, claimed_by, claimed_at, error,
                      worker_id=worker_id, now=now, policy=policy, retry_at=now):  # fmt: skip
            log.warning("reclaimed event %s: %s", event_id, error, extra={"event_id": event_id})
            reclaimed += 1
    session.execute(
        delete(NotificationWorker).where(
            NotificationWorker.heartbeat_at < cutoff, NotificationWorker.id != worker_id
        )
    )
    session.flush()
    return reclaimed


@dataclass
class WorkerSettings:
    url: str
    secret: str
    poll_seconds: float = 2.0
    batch_size: int = 20
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    in_flight_timeout: timedelta = timedelta(minutes=15)
    sweep_seconds: float = 30.0
    heartbeat_seconds: float = 5.0
    dead_after_beats: int = 3
    timezone: str = "Europe/Amsterdam"
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def dead_after(self) -> timedelta:
        """How long a worker may be silent before the others take it for dead."""
        return timedelta(seconds=self.heartbeat_seconds * self.dead_after_beats)

    @classmethod
    def from_config(cls, config) -> WorkerSettings:
        return cls(
            url=config["POLICE_WEBHOOK_URL"],
            secret=config["POLICE_WEBHOOK_SECRET"],
            poll_seconds=float(config.get("WORKER_POLL_SECONDS", 2.0)),
            batch_size=int(config.get("WORKER_BATCH_SIZE", 20)),
            connect_timeout=float(config.get("DELIVERY_CONNECT_TIMEOUT", 5.0)),
            read_timeout=float(config.get("DELIVERY_READ_TIMEOUT", 10.0)),
            in_flight_timeout=timedelta(
                seconds=float(config.get("IN_FLIGHT_TIMEOUT_SECONDS", 900))
            ),
            sweep_seconds=float(config.get("WORKER_SWEEP_SECONDS", 30.0)),
            heartbeat_seconds=float(config.get("WORKER_HEARTBEAT_SECONDS", 5.0)),
            dead_after_beats=int(config.get("WORKER_DEAD_AFTER_BEATS", 3)),
            timezone=config.get("WORKER_TIMEZONE", "Europe/Amsterdam"),
            policy=RetryPolicy(
                base_seconds=float(config.get("DELIVERY_BACKOFF_BASE_SECONDS", 30.0)),
                max_delay_seconds=float(config.get("DELIVERY_BACKOFF_MAX_SECONDS", 3600.0)),
                max_age=timedelta(hours=float(config.get("DELIVERY_MAX_AGE_HOURS", 24))),
            ),
        )


def app_now(app) -> Callable[[], datetime]:
    """The application's clock (``app.extensions['clock'].now``) when it has one, else UTC."""
    clock = app.extensions.get("clock")
    if clock is not None and hasattr(clock, "now"):
        return clock.now
    return lambda: datetime.now(UTC)


class Worker:
    """One worker process: a delivery loop, its heartbeat, the sweeper and the housekeeping
    jobs."""

    def __init__(
        self,
        app,
        *,
        settings: WorkerSettings | None = None,
        sender: WebhookSender | None = None,
        mail_sender: SmtpSender | None = None,
        now: Callable[[], datetime] | None = None,
        worker_id: str | None = None,
    ):
        self.app = app
        self.settings = settings or WorkerSettings.from_config(app.config)
        self.sender = sender or WebhookSender(
            self.settings.url,
            self.settings.secret,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
        )
        self.mail_sender = mail_sender or SmtpSender(MailSettings.from_config(app.config))
        self.now = now or app_now(app)
        self.worker_id = worker_id or (
            f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        self.stopping = threading.Event()
        app.extensions["notifications"]["stopping"] = self.stopping
        self._busy = threading.Lock()
        self._claims = itertools.count(1)
        self._registered = False
        self._last_sweep: datetime | None = None
        self.scheduler = None

    @property
    def session(self) -> Session:
        return self.app.extensions["notifications"]["session"]

    # -- one pass ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Sweep when due, then deliver every due event; returns how many were attempted."""
        with self._busy, self.app.app_context():
            try:
                self._sweep_if_due()
                return self._drain()
            finally:
                self.session.remove()

    def _sweep_if_due(self) -> None:
        now = self.now()
        if (
            self._last_sweep is not None
            and (now - self._last_sweep).total_seconds() < self.settings.sweep_seconds
        ):
            return
        self._sweep(now)
        self._last_sweep = now

    def sweep(self) -> int:
        """Return events stuck in flight to the queue now; how many there were."""
        with self._busy, self.app.app_context():
            try:
                return self._sweep(self.now())
            finally:
                self.session.remove()

    def _sweep(self, now: datetime) -> int:
        with self.session.begin():
            return sweep_stuck(
                self.session,
                now=now,
                timeout=self.settings.in_flight_timeout,
                policy=self.settings.policy,
                worker_id=self.worker_id,
            )

    def heartbeat(self) -> int:
        """Say this worker is alive, then take back the claims of dead workers; how many.

        Runs on its own scheduler thread, beside a delivery in progress (never waits for it):
        a worker busy with a slow receiver is still alive."""
        with self.app.app_context():
            session = self.session
            try:
                now = self.now()
                with session.begin():
                    relax_commit(session)
                    beat(session, self.worker_id, now=now)
                self._registered = True
                with session.begin():
                    return reclaim_from_dead_workers(
                        session,
                        now=now,
                        dead_after=self.settings.dead_after,
                        policy=self.settings.policy,
                        worker_id=self.worker_id,
                    )
            finally:
                session.remove()

    def retire(self) -> None:
        """Remove this worker's row as it stops (what it held it has handed back)."""
        with self.app.app_context():
            session = self.session
            try:
                with session.begin():
                    retire(session, self.worker_id)
            except Exception:
                log.exception("could not remove the row of worker %s", self.worker_id)
            finally:
                session.remove()

    def _drain(self) -> int:
        attempted = 0
        while not self.stopping.is_set():
            claims = self._claim()
            if not claims:
                break
            attempted += self._deliver_claims(claims)
            if len(claims) < self.settings.batch_size:
                break
        return attempted

    def _deliver_claims(self, claims: list[Claim]) -> int:
        """Send each claimed event, then record the outcomes of all in one transaction.

        No transaction is open during the HTTP calls. If the worker dies before the
        outcomes are committed, its events are still in flight and the sweeper hands them
        out again: sent once more, never lost (at-least-once; receivers deduplicate by
        webhook-id). One commit per claimed batch instead of one per event.
        """
        outcomes: list[tuple[Claim, datetime, DeliveryResult, datetime]] = []
        for index, claim in enumerate(claims):
            if self.stopping.is_set():
                self._record(outcomes)
                self._release(claims[index:])
                return len(outcomes)
            started_at = self.now()
            sender = self.mail_sender if claim.type == MAIL_EVENT_TYPE else self.sender
            result = sender.send(claim.message_id, claim.payload)
            outcomes.append((claim, started_at, result, self.now()))
        self._record(outcomes)
        return len(outcomes)

    def _claim(self) -> list[Claim]:
        session = self.session
        token = f"{self.worker_id}#{next(self._claims)}"
        # The claim is committed before any HTTP call leaves the process.
        with session.begin():
            relax_commit(session)
            if not self._registered:  # the claims name a worker row that exists
                beat(session, self.worker_id, now=self.now())
                self._registered = True
            return claim_due(session, now=self.now(), token=token, limit=self.settings.batch_size)

    def _record(self, outcomes) -> None:
        """Write what the attempts came to: all in one transaction, or, if that fails, each
        in its own (one bad outcome must not keep the others from being recorded)."""
        if not outcomes:
            return
        if not self._record_in_one(outcomes) and len(outcomes) > 1:
            for outcome in outcomes:
                self._record_in_one([outcome])

    def _record_in_one(self, outcomes) -> bool:
        session = self.session
        try:
            with session.begin():
                relax_commit(session)
                batch = session.begin_nested()
                if record_delivered(session, outcomes, worker_id=self.worker_id):
                    batch.commit()
                else:  # one by one: each case told apart (``record_outcome``)
                    batch.rollback()
                    for claim, started_at, result, now in outcomes:
                        record_outcome(
                            session,
                            claim,
                            result,
                            started_at=started_at,
                            now=now,
                            worker_id=self.worker_id,
                            policy=self.settings.policy,
                        )
        except Exception:
            # The rows stay in flight; the sweeper hands them out again later.
            log.exception(
                "could not record the outcome of events %s",
                ", ".join(str(claim.id) for claim, *_ in outcomes),
            )
            return False
        for claim, _started, result, _now in outcomes:
            if result.ok:
                log.info("event %s delivered", claim.id, extra={"event_id": claim.id})
            else:
                log.info(
                    "event %s not delivered: %s",
                    claim.id,
                    result.error,
                    extra={"event_id": claim.id},
                )
        return True

    def _release(self, claims: list[Claim]) -> None:
        session = self.session
        try:
            with session.begin():
                release(session, claims, now=self.now())
        except Exception:
            log.exception("could not release %s claimed events", len(claims))

    # -- the process --------------------------------------------------------------------------

    def _poll_job(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.run_once()
        except Exception:
            log.exception("delivery pass failed; trying again at the next poll")

    def _heartbeat_job(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.heartbeat()
        except Exception:
            log.exception("heartbeat failed; trying again at the next beat")

    def _housekeeping(self, job: PeriodicJob) -> Callable[[], None]:
        def run() -> None:
            if self.stopping.is_set():
                return
            with self.app.app_context():
                session = self.session
                try:
                    if job.one_transaction:
                        with session.begin():  # the job as one unit of work
                            job.func(self.app)
                    else:
                        job.func(self.app)
                    log.debug("housekeeping job %s done", job.name)
                except Exception:
                    log.exception("housekeeping job %s failed", job.name)
                finally:
                    session.remove()

        return run

    def build_scheduler(self):
        """The BlockingScheduler with the delivery job and every registered periodic job."""
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BlockingScheduler(
            timezone=self.settings.timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.add_job(
            self._poll_job,
            IntervalTrigger(seconds=self.settings.poll_seconds),
            id="deliver",
            name="deliver due notifications",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        scheduler.add_job(
            self._heartbeat_job,
            IntervalTrigger(seconds=self.settings.heartbeat_seconds),
            id="heartbeat",
            name="heartbeat and take back dead workers' claims",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        for job in self.app.extensions["notifications"].get("periodic_jobs", []):
            if job.cron is not None:
                trigger = (
                    CronTrigger.from_crontab(job.cron, timezone=self.settings.timezone)
                    if isinstance(job.cron, str)
                    else CronTrigger(timezone=self.settings.timezone, **job.cron)
                )
            else:
                trigger = IntervalTrigger(seconds=job.seconds)
            scheduler.add_job(
                self._housekeeping(job),
                trigger,
                id=job.name,
                name=job.name,
                coalesce=True,
                max_instances=1,
            )
        self.scheduler = scheduler
        return scheduler

    def stop(self, *_args) -> None:
        """Finish the delivery in progress, then stop (SIGTERM, SIGINT)."""
        if self.stopping.is_set():
            return
        log.info("worker %s stopping", self.worker_id)
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT."""
        scheduler = self.build_scheduler()
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info(
            "notification worker %s started: %s every %s s",
            self.worker_id,
            self.settings.url,
            self.settings.poll_seconds,
        )
        try:
            scheduler.start()
        finally:
            # Wait for the delivery in progress (it hands back what it did not attempt).
            with self._busy:
                pass
            self.retire()
            self.sender.close()
            log.info("worker %s stopped", self.worker_id)


@dataclass(frozen=True)
class PeriodicJob:
    """Housekeeping the worker runs on a schedule: ``func(app)`` in an app context."""

    name: str
    func: Callable
    seconds: float | None = None
    cron: str | dict | None = None
    one_transaction: bool = True
