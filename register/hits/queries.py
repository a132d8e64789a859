"""Reading hits: one statement for the API and the police page."""

from __future__ import annotations

from sqlalchemy import select

from .models import Hit


def hits_statement(*, stolen_report_id=None, dealer_id=None, kind=None):
    """Hits, newest first, optionally of one report, one dealer or one match kind."""
    statement = select(Hit).order_by(Hit.created_at.desc(), Hit.id.desc())
    if stolen_report_id is not None:
        statement = statement.where(Hit.stolen_report_id == stolen_report_id)
    if dealer_id is not None:
        statement = statement.where(Hit.dealer_id == dealer_id)
    if kind is not None:
        statement = statement.where(Hit.match_kind == kind)
    return statement
