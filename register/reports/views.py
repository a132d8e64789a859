"""The dashboard: figures and charts per municipality and nationally, and the CSV export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _

from ..accounts.authz import web_role_required
from ..clock import clock
from ..dealers.meldplicht import REPORT_STATUSES
from ..dealers.models import Municipality
from ..dealers.service import municipality_by_code
from ..extensions import db
from ..inputs import date_from_text
from ..inspections.models import OUTCOMES
from .charts import bar_chart
from .service import Scope, dealers_per_municipality, monthly, summary

bp = Blueprint("reports_web", __name__)


def resolve_scope(principal, code: str | None) -> Scope | None:
    """The figures ``principal`` asks for: None when the municipality is unknown or not theirs."""
    if principal.role == "dealer":
        return None if code else Scope(dealer_id=principal.dealer_id)
    if not principal.is_national:
        own = db.session.get(Municipality, principal.municipality_id)
        if code and code.upper() != own.code:
            return None
        return Scope(municipality=own)
    if not code:
        return Scope()
    municipality = municipality_by_code(db.session, code)
    return Scope(municipality=municipality) if municipality else None


def _period() -> tuple[date, date]:
    today = clock().today()
    start = date_from_text(request.args.get("from"))  # outside 1900..2100: not given
    end = date_from_text(request.args.get("to"))
    end = end or today
    start = start or date(end.year - 1, end.month, 1).replace(day=1)
    if start > end:
        start, end = end, start
    return start, end


def _scope_or_404() -> Scope:
    scope = resolve_scope(g.principal, request.args.get("municipality") or None)
    if scope is None:
        abort(404)
    return scope


@bp.route("/dashboard")
@web_role_required("dealer", "municipality", "enforcement", "police", "admin")
def dashboard():
    scope = _scope_or_404()
    start, end = _period()
    figures = summary(db.session, scope, start, end)
    series = monthly(db.session, scope, start, end)
    meldplicht_labels = {
        "submitted": _("submitted"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
    }
    outcome_labels = {
        "compliant": _("compliant"),
        "warning": _("warning"),
        "official_report": _("official report"),
    }
    per_municipality = dealers_per_municipality(db.session, scope)
    charts = [
        bar_chart(
            "chart-monthly",
            _("Registrations and hits per month"),
            series["months"],
            [(_("Registrations"), series["registrations"]), (_("Hits"), series["hits"])],
        ),
        bar_chart(
            "chart-meldplicht",
            _("DOL reports by status"),
            [meldplicht_labels[s] for s in REPORT_STATUSES],
            [(_("Reports"), [figures["meldplicht"][s] for s in REPORT_STATUSES])],
        ),
        bar_chart(
            "chart-inspections",
            _("Inspection outcomes"),
            [outcome_labels[o] for o in OUTCOMES],
            [(_("Inspections"), [figures["inspections"][o] for o in OUTCOMES])],
        ),
        bar_chart(
            "chart-dealers",
            _("Dealers per municipality"),
            [row["name"][:12] for row in per_municipality],
            [
                (_("connected"), [row["active"] for row in per_municipality]),
                (_("pending"), [row["pending"] for row in per_municipality]),
                (_("stopped"), [row["stopped"] for row in per_municipality]),
            ],
        ),
    ]
    if g.principal.role == "dealer":  # its own registrations and hits, nothing municipal
        charts = charts[:1]
    municipalities = []
    if g.principal.is_national:
        municipalities = db.session.scalars(
            db.select(Municipality).order_by(Municipality.name)
        ).all()
    return render_template(
        "reports/dashboard.html",
        figures=figures,
        charts=charts,
        scope=scope,
        start=start,
        end=end,
        municipalities=municipalities,
    )


@bp.route("/dashboard/summary.csv")
@web_role_required("municipality", "enforcement", "police", "admin")
def dashboard_csv():
    from .api import csv_response

    scope = _scope_or_404()
    start, end = _period()
    return csv_response(summary(db.session, scope, start, end))
