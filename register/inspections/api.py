"""DOC JSON API: /api/v1/inspections (tasks, logged inspections, the goods check)."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from ..accounts.authz import require_role
from ..apiutil import page_schema, paginate, refuse
from ..clock import utcnow
from ..errors import abort_problem
from ..extensions import db
from .models import Inspection
from .schemas import (
    GoodsCheckResultSchema,
    GoodsCheckSchema,
    InspectionCreateSchema,
    InspectionQuerySchema,
    InspectionSchema,
    TaskQuerySchema,
    TaskSchema,
)
from .service import (
    InspectionError,
    TaskConflict,
    dealer_for,
    goods_check,
    inspection_for,
    inspections_in_scope,
    log_inspection,
    task_for,
    task_queue,
)

blp = Blueprint(
    "inspections",
    __name__,
    url_prefix="/api/v1",
    description="DOC: inspection tasks and logged inspections",
)

TaskPage = page_schema(TaskSchema, "InspectionTaskPage")
InspectionPage = page_schema(InspectionSchema, "InspectionPage")


def problem_for(exc: Exception):
    refuse(exc, conflicts=(TaskConflict,))


@blp.route("/inspections/tasks", methods=["GET"])
@require_role("enforcement")
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskPage)
def list_tasks(args):
    """Open inspection tasks in scope, highest risk score first (docs/risk-score.md)."""
    entries = task_queue(db.session, g.principal, now=utcnow())
    if args.get("reason"):
        entries = [e for e in entries if e.task.reason == args["reason"]]
    if args.get("dealer_id") is not None:
        entries = [e for e in entries if e.task.dealer_id == args["dealer_id"]]
    page, per_page = args["page"], args["per_page"]
    total = len(entries)
    return {
        "items": entries[(page - 1) * per_page : page * per_page],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": -(-total // per_page),
    }


@blp.route("/inspections", methods=["POST"])
@require_role("enforcement")
@blp.arguments(InspectionCreateSchema)
@blp.response(201, InspectionSchema)
@blp.alt_response(409, description="the task was closed already")
def create_inspection(data):
    """Log an inspection; it closes the task it answers. A warning schedules a follow-up, an
    official report is flagged for the municipality."""
    dealer = dealer_for(db.session, g.principal, data["dealer_id"])
    if dealer is None:
        abort_problem(404, "No such dealer.")
    task = None
    if data.get("task_id") is not None:
        task = task_for(db.session, g.principal, data["task_id"])
        if task is None:
            abort_problem(404, "No such task.")
    try:
        inspection = log_inspection(
            db.session,
            dealer=dealer,
            inspected_at=data["inspected_at"],
            checks=data["checks"],
            outcome=data["outcome"],
            findings=data.get("findings"),
            task=task,
            officer_id=g.principal.user_id,
            identifiers=data.get("identifiers"),
            now=utcnow(),
            follow_up_days=int(current_app.config["INSPECTION_FOLLOW_UP_DAYS"]),
        )
    except (InspectionError, TaskConflict) as exc:
        problem_for(exc)
    return inspection


@blp.route("/inspections", methods=["GET"])
@require_role("enforcement", "municipality")
@blp.arguments(InspectionQuerySchema, location="query")
@blp.response(200, InspectionPage)
def list_inspections(args):
    """Logged inspections in scope, newest first."""
    statement = inspections_in_scope(g.principal)
    if args.get("dealer_id") is not None:
        statement = statement.where(Inspection.dealer_id == args["dealer_id"])
    if args.get("outcome"):
        statement = statement.where(Inspection.outcome == args["outcome"])
    if args.get("flagged") is not None:
        statement = statement.where(Inspection.flagged_for_municipality.is_(args["flagged"]))
    return paginate(db.session, statement, args["page"], args["per_page"])


@blp.route("/inspections/<int:inspection_id>", methods=["GET"])
@require_role("enforcement", "municipality")
@blp.response(200, InspectionSchema)
def get_inspection(inspection_id: int):
    """One logged inspection."""
    inspection = inspection_for(db.session, g.principal, inspection_id)
    if inspection is None:
        abort_problem(404, "No such inspection.")
    return inspection


@blp.route("/inspections/goods-check", methods=["POST"])
@require_role("enforcement")
@blp.arguments(GoodsCheckSchema)
@blp.response(200, GoodsCheckResultSchema)
def check_goods(data):
    """The identifiers of goods found in the shop against the dealer's register: which are
    missing from it, and which are on offer inside the holding period or on police hold."""
    dealer = dealer_for(db.session, g.principal, data["dealer_id"])
    if dealer is None:
        abort_problem(404, "No such dealer.")
    now = utcnow()
    try:
        results = goods_check(db.session, dealer, data["identifiers"], now=now)
    except InspectionError as exc:
        problem_for(exc)
    return {
        "dealer_id": dealer.id,
        "checked_at": now,
        "problems": sum(1 for r in results if r["problem"]),
        "results": results,
    }
