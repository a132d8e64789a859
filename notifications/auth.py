"""The application's authorisation decorators, looked up at request time.

notifications has no accounts of its own: the application hands it its decorators in init_app.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app


def _wrap(kind: str, roles: tuple[str, ...]):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            guard = current_app.extensions["notifications"][kind]
            return guard(*roles)(view)(*args, **kwargs)

        return wrapper

    return decorator


def web_roles(*roles: str):
    """Web page for these roles (login session)."""
    return _wrap("require_web_role", roles)


def session():
    return current_app.extensions["notifications"]["session"]
