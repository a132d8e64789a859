"""Reports JSON API: /api/v1/reports/summary (JSON and CSV)."""

from __future__ import annotations

import io

from flask import Response, g
from flask_smorest import Blueprint

from ..accounts.authz import require_role
from ..clock import clock
from ..csv_export import SafeCsvWriter
from ..errors import abort_problem
from ..extensions import db
from .schemas import SummaryQuerySchema, SummarySchema
from .service import flatten, summary
from .views import resolve_scope

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports: aggregate figures")


def _figures(args) -> dict:
    today = clock().today()
    start = args.get("from_") or today.replace(month=1, day=1)
    end = args.get("to") or today
    if start > end:
        abort_problem(422, "'from' must not be after 'to'.", errors={"from": ["after 'to'"]})
    scope = resolve_scope(g.principal, args.get("municipality"))
    if scope is None:
        abort_problem(404, "No such municipality.")
    return summary(db.session, scope, start, end)


@blp.route("/reports/summary", methods=["GET"])
@require_role("municipality", "police", "admin")
@blp.arguments(SummaryQuerySchema, location="query")
@blp.response(200, SummarySchema)
def get_summary(args):
    """Counts for the period: dealers connected, DOL reports, purchases, items, hits, police
    notifications, inspections. A municipality sees its own figures."""
    return _figures(args)


@blp.route("/reports/summary.csv", methods=["GET"])
@require_role("municipality", "police", "admin")
@blp.arguments(SummaryQuerySchema, location="query")
@blp.response(200, description="text/csv: one row per figure (metric,value)")
def get_summary_csv(args):
    """The summary as CSV, one row per figure."""
    return csv_response(_figures(args))


def csv_response(figures: dict) -> Response:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\r\n")
    writer.writerow(["metric", "value"])
    for key, value in flatten(figures):
        writer.writerow([key, "" if value is None else value])
    period = f"{figures['from']}_{figures['to']}"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="summary_{period}.csv"'},
    )
