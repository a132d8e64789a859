"""The public check's rate limit, per client, shared by the API and the web page.

stolen_db cannot import the application's limiter; the application hands it over in
``init_app`` and views are wrapped at request time, as the authorisation decorators are.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, request

SCOPE = "stolen-check"
_limits: dict[int, tuple[object, object]] = {}


def _limit_value() -> str:
    return current_app.config["RATELIMIT_PUBLIC_CHECK"]


def _not_a_check() -> bool:
    """Showing the empty form is free; only a check (an identifier) counts."""
    return not (request.values.get("identifier") or "").strip()


def public_check_limit_for(limiter):
    """One shared limit per limiter (the app factory may run many times in one process)."""
    known = _limits.get(id(limiter))
    if known is None or known[0] is not limiter:
        limit = limiter.shared_limit(_limit_value, scope=SCOPE, exempt_when=_not_a_check)
        known = _limits[id(limiter)] = (limiter, limit)
    return known[1]


def public_check_limited(view):
    """Count this view's checks against the client's public-check budget (429 beyond it)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        limit = current_app.extensions["stolen_db"]["public_check_limit"]
        if limit is None:
            return view(*args, **kwargs)
        return limit(view)(*args, **kwargs)

    return wrapper
