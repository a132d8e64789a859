"""Stop Heling test helpers: theft reports through the real service."""

from __future__ import annotations

import itertools

from flask import current_app

from stolen_db.service import report_theft

_numbers = itertools.count(1)

# Valid IMEIs (Luhn check digit correct) for tests.
IMEI = "490154203237518"
IMEI_2 = "356938035643809"
IMEI_BAD_CHECK = "490154203237519"


def add_report(session, clock, **fields):
    """A committed active stolen report; the registered-goods matcher runs as in the API."""
    data = {
        "report_number": f"PL0900-2026{next(_numbers):07d}",
        "reported_at": clock.now(),
        "category": "phone",
        "brand": None,
        "model": None,
        "imei": None,
        "serial_number": None,
        "frame_number": None,
        "description": None,
    }
    data.update(fields)
    result = report_theft(
        session,
        data,
        now=clock.now(),
        find_registered_matches=current_app.extensions["stolen_db"]["find_registered_matches"],
    )
    session.commit()
    return result.report
