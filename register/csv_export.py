"""CSV exports that a spreadsheet opens as text: no cell runs as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is one a
spreadsheet may evaluate (a seller named ``=HYPERLINK(...)`` becomes a live link); such text
is written with a leading ``'``, which spreadsheets read as "this is text". Numbers stay
numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every text cell goes through ``safe_cell``."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
