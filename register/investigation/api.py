"""Police investigation JSON API: search every register in scope; alerts (police only)."""

from __future__ import annotations

from flask import g
from flask_babel import force_locale
from flask_smorest import Blueprint
from sqlalchemy import func, select

from ..accounts.audit import record_access
from ..accounts.authz import require_role
from ..clock import clock
from ..errors import abort_problem
from ..extensions import db
from .alerts import IllegalAlertTransition, set_alert_status
from .models import Alert
from .presenters import alert_entries, present_alert
from .schemas import (
    AlertListArgs,
    AlertOut,
    AlertPageOut,
    AlertPurposeArgs,
    AlertStatusIn,
    SearchArgs,
    SearchPageOut,
)
from .search import SearchRefused, audit_search, search_items

blp = Blueprint(
    "investigation",
    __name__,
    url_prefix="/api/v1",
    description="Police investigation: search across every register, alerts on patterns",
)

PURPOSE_MESSAGE = "State the purpose: a case number or reason."


def require_purpose(args: dict) -> str:
    purpose = (args.get("purpose") or "").strip()
    if not purpose:
        abort_problem(
            422,
            "Police and enforcement state why they search: give purpose=<case number or reason>.",
            errors={"purpose": [PURPOSE_MESSAGE]},
        )
    return purpose


@blp.route("/search/items", methods=["GET"])
@require_role("police", "enforcement")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchPageOut)
@blp.alt_response(422, description="no purpose, no criterion, or a criterion that is no identifier")
def search(args):
    """Search the registers in scope (police: national; enforcement: its municipality).

    Every criterion given must hold. Results newest first; page with `cursor` (the `next`
    of the previous answer) or `page`. `identifier` results say their `match.kind`
    (exact, normalized, lookalike, near); `partial` results say `partial`. The police see
    the seller. Every search is written to the audit log with its criteria and purpose.
    """
    purpose = require_purpose(args)
    try:
        page = search_items(db.session, g.principal, args)
    except SearchRefused as exc:
        abort_problem(422, exc.message, errors={exc.field: [exc.message]})
    audit_search(db.session, g.principal, page, purpose, action="search_items")
    return {
        "items": page.results,
        "total": page.total,
        "total_capped": page.total_capped,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "next": page.next_cursor,
    }


@blp.route("/alerts", methods=["GET"])
@require_role("police")
@blp.arguments(AlertListArgs, location="query")
@blp.response(200, AlertPageOut)
def list_alerts(args):
    """Alerts, newest first (filter by `status`, `kind`): each says why it fired and links
    its entries and dealers."""
    statement = select(Alert)
    if args.get("status"):
        statement = statement.where(Alert.status == args["status"])
    if args.get("kind"):
        statement = statement.where(Alert.kind == args["kind"])
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    page, per_page = args["page"], args["per_page"]
    alerts = list(
        db.session.scalars(
            statement.order_by(Alert.id.desc()).limit(per_page).offset((page - 1) * per_page)
        )
    )
    entries = alert_entries(db.session, alerts)
    return {
        "items": [_presented(alert, entries[alert.id]) for alert in alerts],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": -(-total // per_page),
    }


def _presented(alert: Alert, items) -> dict:
    """An alert as the API shows it: the explanation in English, as every API text is."""
    with force_locale("en"):
        return present_alert(alert, items)


def _alert_or_404(alert_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort_problem(404, "No such alert.")
    return alert


@blp.route("/alerts/<int:alert_id>", methods=["GET"])
@require_role("police")
@blp.arguments(AlertPurposeArgs, location="query")
@blp.response(200, AlertOut)
def get_alert(args, alert_id: int):
    """One alert with its entries; opening it is written to the audit log."""
    alert = _alert_or_404(alert_id)
    items = alert_entries(db.session, [alert])[alert.id]
    audit_alert_opening(alert, items, args.get("purpose"))
    return _presented(alert, items)


def audit_alert_opening(alert: Alert, items, purpose: str | None) -> None:
    record_access(
        db.session,
        user_id=g.principal.user_id,
        action="open_alert",
        record_type="alert",
        record_id=alert.id,
        purpose=purpose,
        details={"kind": alert.kind, "items": [item.id for item in items]},
    )


@blp.route("/alerts/<int:alert_id>/status", methods=["POST"])
@require_role("police")
@blp.arguments(AlertStatusIn)
@blp.response(200, AlertOut)
@blp.alt_response(409, description="the alert's status does not allow this change")
def change_alert_status(data, alert_id: int):
    """Mark an alert `investigating` or `dismissed` (or take a dismissed one up again), with
    a note."""
    alert = _alert_or_404(alert_id)
    try:
        set_alert_status(
            db.session, alert, data["status"], data.get("note"),
            user_id=g.principal.user_id, now=clock().now(),
        )  # fmt: skip
    except IllegalAlertTransition as exc:
        abort_problem(409, str(exc))
    return _presented(alert, alert_entries(db.session, [alert])[alert.id])
