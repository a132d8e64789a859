"""What the application handed over in ``init_app``, looked up at request time."""

from __future__ import annotations

from datetime import datetime

from flask import current_app


def _ext() -> dict:
    return current_app.extensions["stolen_db"]


def session():
    return _ext()["session"]


def now() -> datetime:
    return _ext()["now"]()


def registered_matcher():
    return _ext()["find_registered_matches"]


def registered_batch_matcher():
    """Retroactive matching of many new reports: the application's batch matcher, or its
    single-report one called per report (None when there is neither)."""
    many = _ext().get("find_registered_matches_many")
    if many is not None:
        return many
    single = registered_matcher()
    if single is None:
        return None

    def one_by_one(session, reports, now):
        from .models import StolenReport

        return sum(single(session, session.get(StolenReport, r.id), now) for r in reports)

    return one_by_one
