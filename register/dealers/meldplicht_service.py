"""DOL rules: filing reports, their deadlines, the municipality's decision and what it sets off.

Services flush, never commit; the request or command that calls them commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue

from ..accounts.notices import mail_decision, mail_new_report
from ..clock import AMSTERDAM, aware
from ..purchases.messages import Message
from ..purchases.models import CATEGORIES
from .meldplicht import (
    ACCEPTED,
    DECISIONS,
    REJECTED,
    REPORT_DEADLINE_DAYS,
    REPORT_TYPES,
    SUBMITTED,
    DolReport,
    transition_report,
)
from .models import Dealer, Municipality, transition_dealer
from .service import DealerError, create_dealer, municipality_by_code, validate_kvk

EVENT_TYPE = "dealer.reported"


class ReportConflict(Exception):
    """The dealer's or the report's state forbids this (answered with 409)."""


@dataclass
class Business:
    """What a report says about the business (API.md's ``business`` object)."""

    name: str
    kvk_number: str | None = None
    country: str = "NL"
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    goods_categories: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict) -> Business:
        """From the nested shape of the API (``address``, ``contact``)."""
        address = data.get("address") or {}
        contact = data.get("contact") or {}
        return cls(
            name=(data.get("name") or "").strip(),
            kvk_number=data.get("kvk_number") or None,
            country=(data.get("country") or address.get("country") or "NL").upper(),
            street=address.get("street"),
            house_number=address.get("house_number"),
            postcode=address.get("postcode"),
            city=address.get("city"),
            contact_name=contact.get("name"),
            contact_phone=contact.get("phone"),
            contact_email=contact.get("email"),
            goods_categories=list(data.get("goods_categories") or []),
        )

    @classmethod
    def of_dealer(cls, dealer: Dealer, latest: DolReport | None = None) -> Business:
        """The dealer's current data (a stop report that gives none repeats it)."""
        return cls(
            name=dealer.name,
            kvk_number=dealer.kvk_number,
            country=dealer.country,
            street=dealer.street,
            house_number=dealer.house_number,
            postcode=dealer.postcode,
            city=dealer.city,
            contact_name=latest.contact_name if latest else None,
            contact_phone=latest.contact_phone if latest else None,
            contact_email=latest.contact_email if latest else None,
            goods_categories=list(latest.goods_categories) if latest else [],
        )


def dutch_date(now: datetime) -> date:
    return now.astimezone(AMSTERDAM).date()


def report_deadline(report_type: str, effective_date: date) -> date:
    """A start: at least 3 days before the first trading day; a change or stop: within 3
    days after it. The deadline day itself is still on time."""
    if report_type == "start":
        return effective_date - timedelta(days=REPORT_DEADLINE_DAYS)
    return effective_date + timedelta(days=REPORT_DEADLINE_DAYS)


def _validate_business(business: Business, *, foreign: bool, require_trade: bool) -> Business:
    if not business.name:
        raise DealerError(Message("the business name must not be empty"), "business.name")
    if foreign:
        if len(business.country) != 2 or not business.country.isalpha() or business.country == "NL":
            raise DealerError(
                Message("a foreign dealer gives its country as a two-letter code other than NL"),
                "business.country",
            )
        if business.kvk_number:
            business.kvk_number = _kvk(business.kvk_number)
    else:
        if business.country != "NL":
            raise DealerError(
                Message("a Dutch dealer trades from the Netherlands (country NL)"),
                "business.country",
            )
        if not business.kvk_number:
            raise DealerError(Message("a Dutch dealer gives its KvK number"), "business.kvk_number")
        business.kvk_number = _kvk(business.kvk_number)
    unknown = [c for c in business.goods_categories if c not in CATEGORIES]
    if unknown:
        raise DealerError(
            Message("unknown goods categories: %(categories)s", categories=", ".join(unknown)),
            "business.goods_categories",
        )
    if require_trade:
        if not business.goods_categories:
            raise DealerError(
                Message("name at least one kind of goods traded"), "business.goods_categories"
            )
        if not business.contact_name:
            raise DealerError(Message("name a contact person"), "business.contact.name")
        if not (business.street and business.city) and not foreign:
            raise DealerError(Message("give the trading address"), "business.address.street")
    return business


def _kvk(number: str) -> str:
    try:
        return validate_kvk(number)
    except DealerError as exc:
        raise DealerError(exc.args[0], "business.kvk_number") from None


def _municipality(session: Session, code: str | None, default: Municipality) -> Municipality:
    if not code:
        return default
    municipality = municipality_by_code(session, code)
    if municipality is None:
        raise DealerError(Message("no municipality with code %(code)s", code=code), "municipality")
    return municipality


def awaiting_review(session: Session, dealer: Dealer, report_type: str) -> DolReport | None:
    return session.scalar(
        select(DolReport).where(
            DolReport.dealer_id == dealer.id,
            DolReport.type == report_type,
            DolReport.status == SUBMITTED,
        )
    )


def latest_accepted(session: Session, dealer: Dealer) -> DolReport | None:
    return session.scalar(
        select(DolReport)
        .where(DolReport.dealer_id == dealer.id, DolReport.status == ACCEPTED)
        .order_by(DolReport.decided_at.desc(), DolReport.id.desc())
        .limit(1)
    )


def file_report(
    session: Session,
    *,
    dealer: Dealer,
    report_type: str,
    effective_date: date,
    now: datetime,
    business: Business | None = None,
    municipality_code: str | None = None,
    user_id: int | None = None,
) -> DolReport:
    """File a start, change or stop report for ``dealer`` (flushes, never commits).

    A late report is filed all the same, marked as not timely, and enforcement gets an
    inspection task for it.
    """
    if report_type not in REPORT_TYPES:
        raise DealerError(
            Message("type must be one of %(types)s", types=", ".join(REPORT_TYPES)), "type"
        )
    if report_type == "start" and dealer.status == "active":
        raise ReportConflict(
            Message(
                "this dealer is connected to the DOR already; report a change or a stop instead"
            )
        )
    if report_type in ("change", "stop") and dealer.status != "active":
        raise ReportConflict(
            Message(
                "a dealer that is %(status)s cannot report a %(type)s; report a start",
                status=dealer.status,
                type=report_type,
            )
        )
    if awaiting_review(session, dealer, report_type) is not None:
        raise ReportConflict(
            Message("a %(type)s report of this dealer is awaiting review", type=report_type)
        )
    if business is None:
        if report_type != "stop":
            raise DealerError(Message("describe the business"), "business")
        business = Business.of_dealer(dealer, latest_accepted(session, dealer))
    business = _validate_business(
        business, foreign=dealer.kind == "foreign", require_trade=report_type != "stop"
    )
    municipality = _municipality(session, municipality_code, dealer.municipality)
    filed_on = dutch_date(now)
    deadline = report_deadline(report_type, effective_date)
    report = DolReport(
        dealer_id=dealer.id,
        municipality_id=municipality.id,
        type=report_type,
        effective_date=effective_date,
        deadline=deadline,
        submitted_at=now,
        submitted_on=filed_on,
        timely=filed_on <= deadline,
        submitted_by_id=user_id,
        status=SUBMITTED,
        business_name=business.name,
        kvk_number=business.kvk_number,
        country=business.country,
        street=business.street,
        house_number=business.house_number,
        postcode=business.postcode,
        city=business.city,
        contact_name=business.contact_name,
        contact_phone=business.contact_phone,
        contact_email=business.contact_email,
        goods_categories=business.goods_categories,
    )
    session.add(report)
    session.flush()
    if not report.timely:
        from ..inspections.service import open_task

        open_task(
            session,
            dealer=dealer,
            reason="late_report",
            now=now,
            dedupe_key=f"meldplicht:{report.id}:late",
            details=Message(
                "%(type)s report %(report)s filed %(filed)s, deadline %(deadline)s",
                type=report_type,
                report=report.id,
                filed=str(filed_on),
                deadline=str(deadline),
            ),
        )
    mail_new_report(session, report, now=now)
    return report


def register_new_dealer(
    session: Session,
    *,
    email: str,
    password: str,
    kind: str,
    effective_date: date,
    municipality_code: str,
    business: Business,
    now: datetime,
):
    """A new dealer files its start report: the dealer (pending), its first account and the
    report are created together. Returns (dealer, user, report)."""
    from ..accounts.service import AccountError, create_user

    if kind not in ("commercial", "thrift", "foreign"):
        raise DealerError(Message("kind must be commercial, thrift or foreign"), "kind")
    if not municipality_code:
        raise DealerError(Message("choose the municipality where you trade"), "municipality")
    municipality = _municipality(session, municipality_code, None)
    business = _validate_business(business, foreign=kind == "foreign", require_trade=True)
    dealer = create_dealer(
        session,
        name=business.name,
        municipality=municipality,
        now=now,
        kind=kind,
        kvk_number=business.kvk_number,
        country=business.country,
        active=False,
        street=business.street,
        house_number=business.house_number,
        postcode=business.postcode,
        city=business.city,
    )
    try:
        user = create_user(
            session,
            email=email,
            password=password,
            role="dealer",
            now=now,
            dealer_id=dealer.id,
            names=(business.name,),
        )
    except AccountError as exc:
        raise DealerError(exc.args[0], getattr(exc, "field", "email")) from None
    report = file_report(
        session,
        dealer=dealer,
        report_type="start",
        effective_date=effective_date,
        now=now,
        business=business,
        municipality_code=municipality.code,
        user_id=user.id,
    )
    return dealer, user, report


def decide(
    session: Session,
    report: DolReport,
    *,
    decision: str,
    reason: str | None,
    now: datetime,
    user_id: int | None = None,
) -> DolReport:
    """The municipality accepts or rejects a report (flushes, never commits).

    Acceptance takes effect at once: a start connects the dealer to the DOR, a change updates
    its data, a stop disconnects it. The police are informed of every accepted report.
    """
    if decision not in DECISIONS:
        raise DealerError(
            Message("decision must be one of %(decisions)s", decisions=", ".join(DECISIONS)),
            "decision",
        )
    reason = (reason or "").strip() or None
    if decision == REJECTED and not reason:
        raise DealerError(Message("say why the report is rejected"), "reason")
    if report.status != SUBMITTED:
        raise ReportConflict(Message("this report was %(status)s already", status=report.status))
    transition_report(report, decision)
    report.decided_at = now
    report.decided_by_id = user_id
    report.decision_reason = reason
    if decision == ACCEPTED:
        _apply(session, report, now=now)
        event = enqueue(
            session,
            EVENT_TYPE,
            dealer_reported_payload(report, now=now),
            now=now,
            dedupe_key=f"meldplicht:{report.id}",
        )
        report.outbox_event_id = event.id
    session.flush()
    mail_decision(session, report, now=now)
    return report


def _apply(session: Session, report: DolReport, *, now: datetime) -> None:
    dealer = report.dealer
    if report.type in ("start", "change"):
        dealer.name = report.business_name
        dealer.kvk_number = report.kvk_number if report.kvk_number else dealer.kvk_number
        dealer.country = report.country
        dealer.street = report.street
        dealer.house_number = report.house_number
        dealer.postcode = report.postcode
        dealer.city = report.city
        dealer.municipality_id = report.municipality_id
        dealer.municipality = report.municipality
    if report.type == "start":
        transition_dealer(dealer, "active", now=now)
    elif report.type == "stop":
        transition_dealer(dealer, "stopped", now=now)
        from ..inspections.service import cancel_tasks_for_stopped_dealer

        cancel_tasks_for_stopped_dealer(session, dealer, now=now)
    session.flush()


def dealer_reported_payload(report: DolReport, *, now: datetime) -> dict:
    """The police's ``dealer.reported`` event: who trades where, from when, in what."""
    dealer = report.dealer
    return {
        "type": EVENT_TYPE,
        "timestamp": now.isoformat(),
        "data": {
            "report_id": report.id,
            "report_type": report.type,
            "status": report.status,
            "effective_date": report.effective_date.isoformat(),
            "timely": report.timely,
            "decided_at": aware(report.decided_at).isoformat() if report.decided_at else None,
            "municipality": report.municipality.code,
            "dealer": {
                "id": dealer.id,
                "name": report.business_name,
                "kind": dealer.kind,
                "kvk_number": report.kvk_number,
                "status": dealer.status,
                "address": report.address,
            },
            "contact": report.contact,
            "goods_categories": list(report.goods_categories or []),
        },
    }


def reports_in_scope(principal):
    """A SELECT of the reports ``principal`` may see, newest first."""
    statement = select(DolReport)
    if principal.role == "dealer":
        statement = statement.where(DolReport.dealer_id == principal.dealer_id)
    else:
        # The reports addressed to the municipality, and every report of the dealers that
        # are in it now (a dealer that moved in brings its history along).
        dealers_in_scope = select(Dealer.id).where(
            principal.dealer_clause(Dealer.id, Dealer.municipality_id)
        )
        statement = statement.where(
            or_(
                principal.municipality_clause(DolReport.municipality_id),
                DolReport.dealer_id.in_(dealers_in_scope),
            )
        )
    return statement.order_by(DolReport.submitted_at.desc(), DolReport.id.desc())


def report_for(session: Session, principal, report_id: int) -> DolReport | None:
    """One report if ``principal`` may see it, else None (the caller answers 404)."""
    return session.scalar(reports_in_scope(principal).where(DolReport.id == report_id))
