"""Authorisation: role and scope decide every access, here and nowhere else.

API endpoints use ``require_role`` (bearer token); web views use ``web_role_required``
(session login). Both put a ``Principal`` on ``g.principal``. Queries are narrowed with
``Principal.dealer_clause`` and single records are checked with ``sees_dealer``; a record
outside scope answers 404, never revealing that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import false, true

from ..clock import utcnow
from ..errors import abort_problem
from ..extensions import db
from .models import Role, User


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user's role and scope."""

    user_id: int
    role: Role
    dealer_id: int | None = None
    municipality_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user.id, Role(user.role), user.dealer_id, user.municipality_id)

    @property
    def is_national(self) -> bool:
        """Police and admins see the whole country; so does an enforcement officer
        without a municipality (a police officer working the DOC)."""
        if self.role in (Role.POLICE, Role.ADMIN):
            return True
        return self.role == Role.ENFORCEMENT and self.municipality_id is None

    def dealer_clause(self, dealer_id_column, dealer_municipality_column):
        """A WHERE clause limiting rows to the dealers in scope."""
        if self.role == Role.DEALER:
            return dealer_id_column == self.dealer_id
        if self.is_national:
            return true()
        if self.municipality_id is not None:
            return dealer_municipality_column == self.municipality_id
        return false()

    def municipality_clause(self, municipality_column):
        """A WHERE clause limiting municipality-owned rows to those in scope."""
        if self.is_national:
            return true()
        if self.role in (Role.MUNICIPALITY, Role.ENFORCEMENT):
            return municipality_column == self.municipality_id
        return false()

    def sees_dealer(self, dealer) -> bool:
        if dealer is None:
            return False
        if self.role == Role.DEALER:
            return dealer.id == self.dealer_id
        if self.is_national:
            return True
        return self.municipality_id is not None and dealer.municipality_id == self.municipality_id

    def sees_municipality(self, municipality_id: int | None) -> bool:
        if self.is_national:
            return True
        return (
            self.role in (Role.MUNICIPALITY, Role.ENFORCEMENT)
            and municipality_id == self.municipality_id
        )


def current_principal() -> Principal:
    return g.principal


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_user() -> User | None:
    """The user behind this request's bearer token, or None."""
    from .service import user_for_token

    if "api_user" not in g:
        from .tokens import note_use

        token = _bearer_token()
        g.api_user = user_for_token(db.session, token, now=utcnow()) if token else None
        if g.api_user is not None:
            note_use(db.session, token, now=utcnow())
    return g.api_user


def require_role(*roles: str):
    """API decorator: 401 without a valid token, 403 for a role not in ``roles``."""
    allowed = {Role(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = api_user()
            if user is None:
                abort_problem(
                    401,
                    "Send a valid bearer token in the Authorization header.",
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
            principal = Principal.of(user)
            if principal.role not in allowed:
                abort_problem(
                    403, f"This endpoint is not available to the role '{principal.role}'."
                )
            g.principal = principal
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # for checks that must not answer before 401/403
        return wrapper

    return decorator


def web_role_required(*roles: str):
    """Web decorator: the login page without a session, 403 for a role not in ``roles``."""
    allowed = {Role(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from ..extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            principal = Principal.of(current_user)
            if principal.role not in allowed:
                abort(403)
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper

    return decorator
