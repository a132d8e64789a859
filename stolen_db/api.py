"""Stop Heling JSON API: the public check and the police theft reports."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from . import context
from .auth import api_roles
from .errors import problem
from .matching import is_reported_stolen
from .ratelimit import public_check_limited
from .schemas import (
    CheckArgs,
    CheckResult,
    StolenReportCreated,
    StolenReportIn,
    StolenReportWithdrawn,
)
from .service import DuplicateReport, ReportRefused, report_theft, withdraw

blp = Blueprint(
    "stolen",
    __name__,
    url_prefix="/api/v1",
    description="Stop Heling: public check and police theft reports",
)

PUBLIC_NOTICE = (
    "This check is not a guarantee: thefts reach the database with a delay, and goods are "
    "only found by a number that was reported. If the good is reported stolen, do not buy "
    "it and do not take it; call the police on 0900-8844 (in an emergency 112)."
)


@blp.route("/stolen-check")
@public_check_limited
@blp.arguments(CheckArgs, location="query", as_kwargs=True)
@blp.response(200, CheckResult)
@blp.alt_response(429, description="too many checks from this client; see Retry-After")
def stolen_check(identifier: str, brand: str | None = None):
    """Public check: is this IMEI, serial or frame number reported stolen?

    No token needed; rate-limited per client. Counts exact and normalised matches only and
    reveals nothing about the report.
    """
    stolen = is_reported_stolen(context.session(), identifier, brand)
    return {
        "identifier": identifier,
        "result": "reported_stolen" if stolen else "no_report",
        "checked_at": context.now(),
        "notice": PUBLIC_NOTICE,
    }


@blp.route("/stolen", methods=["POST"])
@api_roles("police")
@blp.arguments(StolenReportIn)
@blp.response(201, StolenReportCreated)
@blp.alt_response(409, description="a report with this report number exists already")
def create_report(data):
    """Report a stolen good (police); registered goods it matches become hits at once."""
    db = context.session()
    try:
        result = report_theft(
            db, data, now=context.now(), find_registered_matches=context.registered_matcher()
        )
        db.flush()  # a duplicate report number shows here; the request's boundary commits
    except ReportRefused as exc:
        problem(422, str(exc), exc.errors)
    except (DuplicateReport, IntegrityError):
        problem(409, f"A report numbered {data['report_number']} exists already.")
    report = result.report
    return {
        "id": report.id,
        "report_number": report.report_number,
        "status": report.status,
        "retroactive_hits": result.retroactive_hits,
    }


@blp.route("/stolen/<int:report_id>/withdraw", methods=["POST"])
@api_roles("police")
@blp.response(200, StolenReportWithdrawn)
def withdraw_report(report_id: int):
    """Withdraw a report (police): the good was recovered or the report was wrong."""
    db = context.session()
    report = withdraw(db, report_id, now=context.now())
    if report is None:
        problem(404, "No such stolen report.")
    return {"id": report.id, "status": report.status}
