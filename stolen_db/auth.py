"""The application's authorisation decorators, looked up at request time.

stolen_db has no accounts of its own: the application hands it its decorators in init_app.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app

from .context import session  # noqa: F401  (kept for callers of stolen_db.auth.session)


def _wrap(kind: str, roles: tuple[str, ...]):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            guard = current_app.extensions["stolen_db"][kind]
            return guard(*roles)(view)(*args, **kwargs)

        return wrapper

    return decorator


def api_roles(*roles: str):
    """API endpoint for these roles (bearer token)."""
    return _wrap("require_role", roles)


def web_roles(*roles: str):
    """Web page for these roles (login session)."""
    return _wrap("require_web_role", roles)
