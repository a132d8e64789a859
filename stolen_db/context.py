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
