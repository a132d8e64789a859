"""Dates of the register: working days, the holding period and the registration deadline.

Working days are Monday to Friday except Dutch public holidays (the ``holidays`` package's
calendar for NL). Municipalities set the holding period in days or working days (bill 36 036:
5 working days, the default) and how many working days after the acquisition a registration
may be made (default 1: by the next working day). The holding period counts from the day the
entry reaches the register, as the DOR does: a late entry does not shorten it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Dutch public holiday."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself when count is 0)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def hold_until(registration_date: date, municipality) -> date:
    """The last day of the holding period of an item registered on ``registration_date``
    (a Dutch date), under ``municipality``'s rule (anything with its rule's attributes).

    The day of registration does not count: with 5 working days, an item registered on
    Friday 27 November 2026 is held until Friday 4 December and may be sold from the 5th,
    whenever it was acquired.
    """
    period = municipality.holding_period if municipality.holding_period is not None else 5
    unit = municipality.holding_period_unit or "working_days"
    if unit == "days":
        return registration_date + timedelta(days=period)
    return add_working_days(registration_date, period)


def registration_deadline(acquisition_date: date, municipality) -> date:
    """The last day on which the acquisition may be registered in time."""
    grace = municipality.registration_grace_working_days
    return add_working_days(acquisition_date, 1 if grace is None else grace)


def first_sale_day(item_hold_until: date) -> date:
    return item_hold_until + timedelta(days=1)
