"""The outbox: enqueueing events and the one function that moves an event between statuses.

Register code calls ``enqueue`` inside its own transaction, so an event exists exactly when
the change that caused it was committed. Every status change afterwards goes through
``transition`` (the worker's bulk claim applies the same table, see ``claimable_statuses``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement

from .models import (
    ALLOWED_TRANSITIONS,
    DEAD,
    EVENT_STATUSES,
    FINAL_STATUSES,
    IN_FLIGHT,
    PENDING,
    OutboxEvent,
)

log = logging.getLogger(__name__)


class IllegalTransition(Exception):
    """A status change the state machine does not allow."""


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp stored here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def enqueue(
    session: Session,
    event_type: str,
    payload: dict,
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> OutboxEvent:
    """Add an event to the outbox in the caller's transaction (flushes, never commits).

    With ``dedupe_key``, enqueueing the same cause twice returns the existing event.
    """
    if dedupe_key is not None:
        existing = session.scalar(select(OutboxEvent).where(OutboxEvent.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    event = OutboxEvent(**_new_event(event_type, payload, now, dedupe_key))
    session.add(event)
    session.flush()
    return event


def _new_event(event_type: str, payload: dict, now: datetime, dedupe_key: str | None) -> dict:
    return {
        "message_id": "msg_" + uuid.uuid4().hex,
        "dedupe_key": dedupe_key,
        "type": event_type,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "retry_window_start": now,
        "updated_at": now,
    }


def claimable_statuses() -> tuple[str, ...]:
    """The statuses a worker may claim from (those allowed to move to in flight)."""
    return sources_of(IN_FLIGHT)


def sources_of(new_status: str) -> tuple[str, ...]:
    """Every status the table allows to move to ``new_status``."""
    return tuple(s for s in EVENT_STATUSES if new_status in ALLOWED_TRANSITIONS[s])


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


_STATEMENTS: dict[tuple, object] = {}


def _update_statement(new_status, sources, claim, changes) -> tuple[object, dict]:
    """The compare-and-set UPDATE of a move, made once per shape (which move, which
    columns, whether a claim is checked) with the values as parameters: building a
    statement costs more than running it, and the worker runs thousands of moves. A value
    that is itself SQL (``OutboxEvent.attempts + 1``) is part of the shape."""
    expressions = {k: v for k, v in changes.items() if isinstance(v, ClauseElement)}
    plain = {k: v for k, v in changes.items() if k not in expressions}
    claim_shape = "any" if claim is ANY else "none" if claim is None else "held"
    shape = (
        new_status,
        sources,
        claim_shape,
        tuple(sorted(plain)),
        tuple(sorted((k, _literal(v)) for k, v in expressions.items())),
    )
    statement = _STATEMENTS.get(shape)
    if statement is None:
        table = OutboxEvent.__table__
        # One parameter per status (an "expanding" IN cannot run as executemany).
        statuses = [literal(status, table.c.status.type) for status in sources]
        conditions = [table.c.id == bindparam("event_id"), table.c.status.in_(statuses)]
        if claim_shape == "none":
            conditions.append(table.c.claimed_by.is_(None))
        elif claim_shape == "held":
            conditions.append(table.c.claimed_by == bindparam("claim"))
        values = {"status": new_status, "updated_at": bindparam("now")}
        values.update({k: bindparam(f"v_{k}", type_=table.c[k].type) for k in plain})
        values.update(expressions)
        statement = update(table).where(*conditions).values(**values)
        _STATEMENTS[shape] = statement
    params = {f"v_{k}": v for k, v in plain.items()}
    if claim_shape == "held":
        params["claim"] = claim
    return statement, params


def _literal(expression) -> str:
    return str(expression.compile(compile_kwargs={"literal_binds": True}))


def transition(
    session: Session,
    event: OutboxEvent | int,
    new_status: str,
    *,
    now: datetime,
    from_statuses: Iterable[str] | None = None,
    claim: str | _Any | None = ANY,
    **changes,
) -> bool:
    """Move one event to ``new_status``, setting ``changes``; True when it moved.

    The move is one conditional UPDATE (compare and set): it happens only if the row's
    status, read under the row lock the UPDATE takes, is one the table allows to move to
    ``new_status`` (narrowed further by ``from_statuses``), and, when ``claim`` is given,
    only if the row is still held by that claim (its ``claimed_by``). So two processes can
    never both make the same move. When the row did not move: from a final status that is
    a replay (a late worker outcome, a double click) and is ignored, False; a claim that is
    no longer the row's, False; anything else the table does not allow raises
    ``IllegalTransition``.
    """
    if new_status not in ALLOWED_TRANSITIONS:
        raise IllegalTransition(f"unknown status {new_status!r}")
    event_id = event if isinstance(event, int) else event.id
    sources = sources_of(new_status)
    if from_statuses is not None:
        sources = tuple(s for s in sources if s in set(from_statuses))
    for name in changes:
        if not hasattr(OutboxEvent, name):
            raise AttributeError(f"OutboxEvent has no column {name!r}")
    statement, params = _update_statement(new_status, sources, claim, changes)
    params.update(event_id=event_id, now=now)
    # A Core statement on the session's connection: the ORM's bulk-update bookkeeping is
    # not needed (the in-memory copy is expired below) and costs more than the UPDATE.
    result = session.connection().execute(statement, params)
    if isinstance(event, OutboxEvent):
        session.expire(event)  # the row changed (or was changed by others): reload on use
    if result.rowcount == 1:
        return True
    current = session.scalar(select(OutboxEvent.status).where(OutboxEvent.id == event_id))
    if current is None:
        raise LookupError(f"no event {event_id}")
    if new_status in ALLOWED_TRANSITIONS[current] and current in sources:
        return False  # allowed, but the claim is no longer the row's
    if current in FINAL_STATUSES:
        log.info(
            "event %s is %s already; ignoring move to %s",
            event_id,
            current,
            new_status,
            extra={"event_id": event_id},
        )
        return False
    raise IllegalTransition(f"event {event_id}: {current} -> {new_status} is not allowed")


def transition_many(
    session: Session,
    moves: list[tuple[int, datetime]],
    new_status: str,
    *,
    now_columns: tuple[str, ...] = (),
    **changes,
) -> bool:
    """Move many events (``(event id, now)`` each) to ``new_status`` with the same
    ``changes`` (the columns in ``now_columns`` set to each move's ``now``), in one
    ``executemany`` of ``transition``'s compare-and-set UPDATE.

    True when every event moved. False otherwise (some were not in a status the move
    allows): the caller rolls back and moves them one by one with ``transition``, which
    tells each case apart. Also False where the driver cannot count an executemany.
    """
    connection = session.connection()
    if not moves or not connection.dialect.supports_sane_multi_rowcount:
        return not moves
    changes.update(dict.fromkeys(now_columns))
    statement, params = _update_statement(new_status, sources_of(new_status), ANY, changes)
    rows = []
    for event_id, now in moves:
        row = {**params, "event_id": event_id, "now": now}
        row.update({f"v_{name}": now for name in now_columns})
        rows.append(row)
    result = connection.execute(statement, rows)
    return result.rowcount == len(moves)


def resend(session: Session, event: OutboxEvent, *, now: datetime) -> bool:
    """Send a dead event again: a new retry window, due at once, the same webhook-id."""
    moved = transition(
        session,
        event,
        PENDING,
        now=now,
        from_statuses=(DEAD,),
        attempts=0,
        next_attempt_at=now,
        retry_window_start=now,
        claimed_at=None,
        claimed_by=None,
    )
    if not moved:
        raise IllegalTransition(f"event {event.id} is {event.status}; only dead events are resent")
    return moved


def counts_by_status(session: Session) -> dict[str, int]:
    """How many events there are in each status (every status present, zero included)."""
    rows = session.execute(
        select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)
    ).all()
    counts = dict.fromkeys(EVENT_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts
