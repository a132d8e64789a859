"""Users, their role and scope, API tokens and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Role(enum.StrEnum):
    DEALER = "dealer"
    MUNICIPALITY = "municipality"
    ENFORCEMENT = "enforcement"
    POLICE = "police"
    ADMIN = "admin"


ROLE_VALUES = tuple(role.value for role in Role)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('dealer', 'municipality', 'enforcement', 'police', 'admin')", name="role"
        ),
        # A dealer's staff belong to a dealer; a municipality employee to a municipality.
        CheckConstraint("role != 'dealer' OR dealer_id IS NOT NULL", name="dealer_scope"),
        CheckConstraint(
            "role != 'municipality' OR municipality_id IS NOT NULL", name="municipality_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Every web session carries the version it began with; raising it (sign-out, a new
    # password, deactivation, revoked tokens) ends all of them at once (``sessions``).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The language of the mail the account is sent.
    language: Mapped[str] = mapped_column(String(8), default="nl", server_default="nl")

    dealer = relationship("Dealer", lazy="joined")
    municipality = relationship("Municipality", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:  # Flask-Login: what the session cookie names
        return f"{self.id}:{self.session_version or 0}"


class ApiToken(db.Model):
    """A bearer token, stored as its SHA-256 hash: a database leak reveals no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "access" (expires) | "long_lived"
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When it last opened a request (to the minute: ``tokens.note_use``).
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship(User, lazy="joined")


class AuditEntry(db.Model):
    """Who looked at or changed which record, when and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)


LINK_PURPOSES = ("invitation", "password_reset", "signup")


class OneTimeLink(db.Model):
    """A link mailed to a person (an invitation, a password reset, a sign-up confirmation):
    stored as its token's SHA-256 hash, valid until ``expires_at`` and only once."""

    __tablename__ = "one_time_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('invitation', 'password_reset', 'signup')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What a sign-up keeps until its address is confirmed (the start report to file).
    data: Mapped[dict | None] = mapped_column(JSON)

    user = relationship(User, lazy="joined")


class SignInFailures(db.Model):
    """Failed sign-ins in a row for one e-mail address, whether or not it has an account (so
    the slowdown says nothing about which addresses do); a correct sign-in removes the row."""

    __tablename__ = "sign_in_failures"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
