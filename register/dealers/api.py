"""DOL JSON API: /api/v1/meldplicht."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..accounts.authz import require_role
from ..apiutil import page_schema, paginate, refuse
from ..clock import utcnow
from ..errors import abort_problem
from ..extensions import db
from .meldplicht import DolReport
from .meldplicht_service import (
    Business,
    ReportConflict,
    decide,
    file_report,
    report_for,
    reports_in_scope,
)
from .models import Dealer
from .schemas import DecisionSchema, ReportCreateSchema, ReportQuerySchema, ReportSchema
from .service import DealerError

blp = Blueprint(
    "meldplicht", __name__, url_prefix="/api/v1", description="DOL: the dealers' reporting duty"
)

ReportPage = page_schema(ReportSchema, "MeldplichtReportPage")


def problem_for(exc: Exception):
    refuse(exc, conflicts=(ReportConflict,))


@blp.route("/meldplicht", methods=["POST"])
@require_role("dealer")
@blp.arguments(ReportCreateSchema)
@blp.response(201, ReportSchema)
@blp.alt_response(409, description="the dealer's state forbids this report")
def file_meldplicht(data):
    """File a start, change or stop report; the answer says whether it was on time."""
    dealer = db.session.get(Dealer, g.principal.dealer_id)
    business = Business.from_data(data["business"]) if data.get("business") else None
    try:
        report = file_report(
            db.session,
            dealer=dealer,
            report_type=data["type"],
            effective_date=data["effective_date"],
            now=utcnow(),
            business=business,
            municipality_code=data.get("municipality"),
            user_id=g.principal.user_id,
        )
    except (DealerError, ReportConflict) as exc:
        problem_for(exc)
    return report


@blp.route("/meldplicht", methods=["GET"])
@require_role("dealer", "municipality", "enforcement", "police")
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportPage)
def list_meldplicht(args):
    """Reports in scope, newest first (a municipality: those made to it and its dealers')."""
    statement = reports_in_scope(g.principal)
    for name in ("status", "type", "dealer_id", "timely"):
        if args.get(name) is not None:
            statement = statement.where(getattr(DolReport, name) == args[name])
    return paginate(db.session, statement, args["page"], args["per_page"])


@blp.route("/meldplicht/<int:report_id>", methods=["GET"])
@require_role("dealer", "municipality", "enforcement", "police")
@blp.response(200, ReportSchema)
def get_meldplicht(report_id: int):
    """One report."""
    report = report_for(db.session, g.principal, report_id)
    if report is None:
        abort_problem(404, "No such report.")
    return report


@blp.route("/meldplicht/<int:report_id>/decision", methods=["POST"])
@require_role("municipality")
@blp.arguments(DecisionSchema)
@blp.response(200, ReportSchema)
@blp.alt_response(409, description="the report was decided already")
def decide_meldplicht(data, report_id: int):
    """Accept or reject a report made to your municipality (a rejection needs a reason)."""
    report = reviewable_report(report_id)
    if report is None:
        abort_problem(404, "No such report.")
    try:
        decide(
            db.session,
            report,
            decision=data["decision"],
            reason=data.get("reason"),
            now=utcnow(),
            user_id=g.principal.user_id,
        )
    except (DealerError, ReportConflict) as exc:
        problem_for(exc)
    db.session.commit()
    return report


def reviewable_report(report_id: int) -> DolReport | None:
    """A report the municipality employee may decide: one made to their municipality."""
    report = db.session.get(DolReport, report_id)
    if report is None or report.municipality_id != g.principal.municipality_id:
        return None
    return report
