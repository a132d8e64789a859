"""Web sessions that end on the server: the session cookie names the account and the
account's session version; a request whose version is not the account's current one is
signed out. Raising the version ends every session of the account at once, copied cookies
included."""

from __future__ import annotations

from .models import User


def end_sessions(user: User) -> None:
    """End every web session of ``user`` (sign-out, a new password, deactivation, revoked
    tokens); the caller's transaction stores it."""
    user.session_version = (user.session_version or 0) + 1


def user_for_session(session, session_id: str) -> User | None:
    """The active account a session cookie names, if its session version is current."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # includes cookies from before session versions
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user
