"""Managing accounts: who may see, invite, change and deactivate whom.

Admins manage every account; a municipality its own staff and enforcement officers; a
dealer its own staff. An account outside the caller's scope is treated as not existing.
An invited account has no usable password until its owner sets one with the mailed link.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import false, select, true, update
from sqlalchemy.orm import Session

from ..dealers.models import Dealer, Municipality
from .audit import record_access
from .authz import Principal
from .links import mail_invitation
from .models import OneTimeLink, Role, User
from .service import AccountError, create_user, revoke_tokens
from .sessions import end_sessions

MUNICIPAL_STAFF = (Role.MUNICIPALITY.value, Role.ENFORCEMENT.value)


class OutOfScope(LookupError):
    """The named dealer, municipality or account is not the caller's to manage (404)."""


class FieldError(AccountError):
    """An account rule broken by one field of the request."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def scope_clause(principal: Principal):
    """A WHERE clause limiting users to those ``principal`` manages."""
    if principal.role == Role.ADMIN:
        return true()
    if principal.role == Role.MUNICIPALITY:
        return (User.municipality_id == principal.municipality_id) & User.role.in_(MUNICIPAL_STAFF)
    if principal.role == Role.DEALER:
        return User.dealer_id == principal.dealer_id
    return false()


def accounts_in_scope(principal: Principal):
    return select(User).where(scope_clause(principal)).order_by(User.email)


def account_in_scope(session: Session, principal: Principal, account_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == account_id, scope_clause(principal)))


def _scope_for(session: Session, principal: Principal, role: str, dealer_id, municipality_code):
    """The dealer id and municipality id a new account of ``role`` gets; refuses what the
    caller may not hand out."""
    if principal.role == Role.DEALER:
        if role != Role.DEALER:
            raise FieldError("role", "A dealer invites only its own staff (role dealer).")
        if dealer_id not in (None, principal.dealer_id):
            raise OutOfScope("dealer")
        return principal.dealer_id, None
    municipality = None
    if municipality_code:
        municipality = session.scalar(
            select(Municipality).where(Municipality.code == municipality_code)
        )
        if municipality is None:
            raise OutOfScope("municipality")
    if principal.role == Role.MUNICIPALITY:
        if role not in MUNICIPAL_STAFF:
            raise FieldError(
                "role", "A municipality invites its own staff and enforcement officers only."
            )
        if municipality is not None and municipality.id != principal.municipality_id:
            raise OutOfScope("municipality")
        if dealer_id is not None:
            raise FieldError("dealer_id", "Municipal staff belong to no dealer.")
        return None, principal.municipality_id
    if principal.role != Role.ADMIN:
        raise OutOfScope("account")
    if role == Role.DEALER:
        if dealer_id is None:
            raise FieldError("dealer_id", "A dealer's account needs its dealer_id.")
        if session.get(Dealer, dealer_id) is None:
            raise OutOfScope("dealer")
        return dealer_id, None
    if dealer_id is not None:
        raise FieldError("dealer_id", "Only dealer accounts belong to a dealer.")
    if role == Role.MUNICIPALITY and municipality is None:
        raise FieldError("municipality", "A municipality's account needs its municipality.")
    if role in (Role.POLICE, Role.ADMIN) and municipality is not None:
        raise FieldError("municipality", f"A {role} account has no municipality.")
    return None, None if municipality is None else municipality.id


def invite(
    session: Session,
    principal: Principal,
    *,
    email: str,
    role: str,
    now: datetime,
    dealer_id: int | None = None,
    municipality_code: str | None = None,
    language: str = "nl",
) -> User:
    """Create an account without a usable password and mail its owner the link to set one
    (flushes, never commits; the mail leaves after the commit)."""
    if role not in {r.value for r in Role}:
        raise FieldError("role", "Unknown role.")
    account_dealer, account_municipality = _scope_for(
        session, principal, role, dealer_id, municipality_code
    )
    try:
        user = create_user(
            session,
            email=email,
            password=secrets.token_urlsafe(32),  # nobody knows it: unusable until set
            role=role,
            now=now,
            dealer_id=account_dealer,
            municipality_id=account_municipality,
        )
    except AccountError as exc:
        raise FieldError("email", str(exc)) from None
    user.language = language
    mail_invitation(session, user, now=now)
    record_access(
        session,
        user_id=principal.user_id,
        action="account.invite",
        record_type="user",
        record_id=user.id,
        details={"email": user.email, "role": role},
    )
    return user


def awaiting_password(session: Session, accounts) -> set[int]:
    """The ids of those of ``accounts`` that were invited and have not set a password yet:
    none of their invitation or reset links was used (an invited account's password is
    random until then, so this is the only sign)."""
    ids = [account.id for account in accounts]
    if not ids:
        return set()
    links = select(OneTimeLink.user_id).where(OneTimeLink.user_id.in_(ids))
    invited = session.scalars(links.where(OneTimeLink.purpose == "invitation")).all()
    with_password = session.scalars(
        links.where(
            OneTimeLink.purpose.in_(("invitation", "password_reset")),
            OneTimeLink.used_at.is_not(None),
        )
    ).all()
    return set(invited) - set(with_password)


class NotInvited(AccountError):
    """Only an active account that still awaits its password can be invited again."""


def invite_again(session: Session, principal: Principal, account: User, *, now: datetime):
    """Mail an invited account a new link to set its password (its earlier links stop
    working), for a link that expired or a mail that went astray (flushes, never commits)."""
    if not account.is_active_account or account.id not in awaiting_password(session, [account]):
        raise NotInvited("This account is not waiting for its invitation.")
    session.execute(
        update(OneTimeLink)
        .where(
            OneTimeLink.user_id == account.id,
            OneTimeLink.purpose == "invitation",
            OneTimeLink.expires_at > now,
        )
        .values(expires_at=now),
        execution_options={"synchronize_session": False},
    )
    link = mail_invitation(session, account, now=now)
    record_access(
        session,
        user_id=principal.user_id,
        action="account.invite_again",
        record_type="user",
        record_id=account.id,
        details={"email": account.email},
    )
    return link


def deactivate(session: Session, principal: Principal, account: User, *, now: datetime) -> None:
    """Deactivate ``account``: its web sessions and API tokens end at once."""
    if account.id == principal.user_id:
        raise FieldError("id", "You cannot deactivate your own account.")
    account.is_active_account = False
    revoke_tokens(session, account, now=now)  # ends its sessions too
    session.flush()
    record_access(
        session,
        user_id=principal.user_id,
        action="account.deactivate",
        record_type="user",
        record_id=account.id,
        details={"email": account.email},
    )


def change_role(
    session: Session,
    principal: Principal,
    account: User,
    *,
    role: str,
    dealer_id: int | None,
    municipality_code: str | None,
) -> None:
    """Give ``account`` another role and scope (admins): its sessions end, so that the next
    sign-in carries the new role."""
    if role not in {r.value for r in Role}:
        raise FieldError("role", "Unknown role.")
    if account.id == principal.user_id:
        raise FieldError("role", "You cannot change your own role.")
    new_dealer, new_municipality = _scope_for(
        session, principal, role, dealer_id, municipality_code
    )
    before = {"role": account.role, "dealer_id": account.dealer_id,
              "municipality_id": account.municipality_id}  # fmt: skip
    account.role, account.dealer_id, account.municipality_id = role, new_dealer, new_municipality
    end_sessions(account)
    session.flush()
    record_access(
        session,
        user_id=principal.user_id,
        action="account.change_role",
        record_type="user",
        record_id=account.id,
        details={"before": before, "after": {"role": role, "dealer_id": new_dealer,
                                             "municipality_id": new_municipality}},
    )  # fmt: skip
