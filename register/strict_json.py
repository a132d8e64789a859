"""The request parser's JSON: UTF-8 only, at most 32 levels deep, finite numbers only.

Python's ``json`` would otherwise read UTF-16 and UTF-32, ``NaN`` and ``Infinity``, numbers
that overflow to infinity, and would exhaust the stack on deeply nested input (a 500).
"""

from __future__ import annotations

import json
import math
import re

from flask import Request
from flask.json.provider import DefaultJSONProvider

from .errors import abort_problem

MAX_DEPTH = 32

# A JSON string (skipped) or a bracket (counted).
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonRefused(ValueError):
    """The body is not JSON this service reads; the message says why."""


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``text`` if its arrays and objects nest deeper than ``limit`` levels."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > limit:
                raise JsonRefused(f"The JSON is nested deeper than {limit} levels.")
        elif found in "]}":
            depth -= 1


def _refuse_constant(name: str):
    raise JsonRefused(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefused(f"The number {text[:40]} is too large.")
    return number


def strict_loads(data: str | bytes | bytearray):
    """Parse a JSON document under the rules above (JsonRefused or ValueError if not)."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused("The JSON is not valid UTF-8.") from exc
    check_depth(data)
    return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``strict_loads`` for reading."""

    def loads(self, s, **kwargs):
        return strict_loads(s)


class StrictJSONRequest(Request):
    """A request whose unreadable JSON is a 400 problem saying why."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:
            return super().on_json_loading_failed(e)
        reason = str(e) if isinstance(e, JsonRefused) else "The request body is not valid JSON."
        abort_problem(400, reason)
