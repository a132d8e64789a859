"""The one transaction boundary of a request, a CLI command and a worker job.

A request commits once, after its view answered below 400, and rolls back otherwise (the
commit veto of pyramid_tm; ``keep`` and ``doom`` are its two explicit exceptions); a command
or a job commits once at its end and rolls back on any error. Views, services and commands
never commit or roll back themselves, so nothing is half-stored and nothing leaves the process
before the commit that records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from .extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def _end_transaction(response: Response) -> Response:
        kept = response.status_code < 400 or g.get("transaction_kept")
        if kept and not g.get("transaction_doomed"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _roll_back_after_error(error: BaseException | None) -> None:
        if error is not None:
            db.session.rollback()


def doom() -> None:
    """Have this request's transaction rolled back whatever it answers (pyramid_tm's doom):
    for an answer that is not this request's own work, such as a replayed one."""
    g.transaction_doomed = True


def keep() -> None:
    """Have this request's transaction committed although it answers 400 or more (the
    opposite of ``doom``): for a refusal that must be remembered, such as a failed sign-in,
    which counts towards the account's slowdown and may mail its owner."""
    g.transaction_kept = True


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """Commit what the block did when it ends normally; roll it back on any error."""
    session = db.session if session is None else session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def transactional(command: Callable) -> Callable:
    """A CLI command (or job) as one unit of work on the app's session."""

    @wraps(command)
    def run(*args, **kwargs):
        with unit_of_work():
            return command(*args, **kwargs)

    return run
