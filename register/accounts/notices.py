"""Mails people expect about what happens to them: a municipality hears of a new DOL report,
a dealer of the decision on its report. Each goes to the active accounts concerned, in
each account's language, through the outbox in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..mailing import external_url, queue_mail
from .models import Role, User


def _recipients(session: Session, *conditions) -> list[User]:
    return session.scalars(
        select(User).where(User.is_active_account.is_(True), *conditions).order_by(User.id)
    ).all()


def mail_new_report(session: Session, report, *, now: datetime) -> None:
    """Tell the municipality's staff that a dealer filed a report for them to review."""
    for user in _recipients(
        session,
        User.role == Role.MUNICIPALITY.value,
        User.municipality_id == report.municipality_id,
    ):
        queue_mail(
            session,
            to=user.email,
            template="dol_report_received",
            language=user.language,
            now=now,
            dedupe_key=f"mail:meldplicht:{report.id}:received:{user.id}",
            report=report,
            link=external_url("dealers_web.report_detail", report_id=report.id),
        )


def mail_decision(session: Session, report, *, now: datetime) -> None:
    """Tell the dealer's staff what the municipality decided on their report."""
    for user in _recipients(session, User.dealer_id == report.dealer_id):
        queue_mail(
            session,
            to=user.email,
            template="dol_decision",
            language=user.language,
            now=now,
            dedupe_key=f"mail:meldplicht:{report.id}:decision:{user.id}",
            report=report,
            link=external_url("dealers_web.report_detail", report_id=report.id),
        )
