"""DOC web pages: the queue, the inspection form (made for a tablet), the log, the goods check."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..accounts.authz import web_role_required
from ..apiutil import paginate
from ..clock import AMSTERDAM, utcnow
from ..dealers.models import Dealer
from ..errors import flatten_errors
from ..extensions import db
from ..i18n import exception_text, translated_errors
from ..inputs import id_from_text, local_time_text
from .models import CHECKS, Inspection
from .schemas import InspectionCreateSchema
from .service import (
    InspectionError,
    TaskConflict,
    dealer_for,
    dealers_in_scope,
    goods_check,
    inspection_for,
    inspections_in_scope,
    log_inspection,
    task_for,
    task_queue,
)

bp = Blueprint("inspections_web", __name__)

QUEUE_SHOWN = 100


def check_labels() -> dict[str, str]:
    return {
        "registered_with_municipality": _("Reported to the municipality (DOL)"),
        "register_kept": _("Register kept"),
        "entries_complete": _("Entries complete"),
        "holding_period_respected": _("Holding period respected"),
        "stock_matches_register": _("Stock matches the register"),
    }


def outcome_labels() -> dict[str, str]:
    return {
        "compliant": _("compliant"),
        "warning": _("warning"),
        "official_report": _("official report"),
    }


@bp.route("/inspections")
@web_role_required("enforcement", "municipality")
def queue():
    principal = g.principal
    entries = task_queue(db.session, principal, now=utcnow())
    flagged = []
    if principal.role == "municipality":
        flagged = db.session.scalars(
            inspections_in_scope(principal).where(Inspection.flagged_for_municipality.is_(True))
        ).all()
    page = max(1, request.args.get("page", 1, type=int))
    inspections = paginate(db.session, inspections_in_scope(principal), page, 25)
    return render_template(
        "inspections/queue.html",
        entries=entries[:QUEUE_SHOWN],
        open_count=len(entries),
        flagged=flagged,
        inspections=inspections,
        outcomes=outcome_labels(),
    )


@bp.route("/inspections/new", methods=["GET", "POST"])
@web_role_required("enforcement")
def new_inspection():
    principal = g.principal
    source = request.form if request.method == "POST" else request.args
    task = None
    if source.get("task_id"):
        task = task_for(db.session, principal, id_from_text(source.get("task_id")))
        if task is None or task.status != "open":
            abort(404)
    dealer = task.dealer if task else None
    if dealer is None and source.get("dealer_id"):
        dealer = dealer_for(db.session, principal, id_from_text(source.get("dealer_id")))
        if dealer is None:
            abort(404)
    errors: dict[str, list[str]] = {}
    values = {"inspected_at": utcnow().astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")}
    resuming = request.method == "POST" and request.form.get("resume") == "1"
    if resuming:  # back from the goods check: the form as it was typed, not yet saved
        values.update({key: request.form.get(key) for key in request.form if key != "resume"})
    if request.method == "POST" and not resuming:
        values = {key: request.form.get(key) for key in request.form}
        data = {
            "dealer_id": dealer.id if dealer else request.form.get("dealer_id"),
            "inspected_at": local_time_text(request.form.get("inspected_at", ""), AMSTERDAM),
            "checks": {
                name: {"yes": True, "no": False}.get(request.form.get(f"checks.{name}"))
                for name in CHECKS
            },
            "findings": request.form.get("findings") or None,
            "outcome": request.form.get("outcome", ""),
            "identifiers": _lines(request.form.get("identifiers")),
        }
        if task is not None:
            data["task_id"] = task.id
        data["checks"] = {k: v for k, v in data["checks"].items() if v is not None}
        try:
            loaded = InspectionCreateSchema().load(data)
            if dealer is None:
                errors["dealer_id"] = [_("Choose the dealer you inspected.")]
                raise _FormInvalid
            inspection = log_inspection(
                db.session,
                dealer=dealer,
                inspected_at=loaded["inspected_at"],
                checks=loaded["checks"],
                outcome=loaded["outcome"],
                findings=loaded.get("findings"),
                task=task,
                officer_id=principal.user_id,
                identifiers=loaded.get("identifiers"),
                now=utcnow(),
                follow_up_days=int(current_app.config["INSPECTION_FOLLOW_UP_DAYS"]),
            )
        except ValidationError as exc:
            errors.update(translated_errors(flatten_errors(exc.messages)))
            if dealer is None:
                errors["dealer_id"] = [_("Choose the dealer you inspected.")]
        except InspectionError as exc:
            errors[exc.field or "_schema"] = [exception_text(exc)]
        except TaskConflict as exc:
            errors["_schema"] = [exception_text(exc)]
        except _FormInvalid:
            pass
        else:
            flash(_("Inspection logged."), "success")
            return redirect(url_for("inspections_web.detail", inspection_id=inspection.id))
    dealers = []
    if dealer is None:
        dealers = db.session.scalars(
            dealers_in_scope(principal).order_by(Dealer.name).limit(1000)
        ).all()
    return render_template(
        "inspections/form.html",
        task=task,
        dealer=dealer,
        dealers=dealers,
        values=values,
        errors=errors,
        checks=check_labels(),
        outcomes=outcome_labels(),
    ), (422 if errors else 200)


class _FormInvalid(Exception):
    pass


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


@bp.route("/inspections/<int:inspection_id>")
@web_role_required("enforcement", "municipality")
def detail(inspection_id: int):
    inspection = inspection_for(db.session, g.principal, inspection_id)
    if inspection is None:
        abort(404)
    return render_template(
        "inspections/detail.html",
        inspection=inspection,
        checks=check_labels(),
        outcomes=outcome_labels(),
    )


@bp.route("/inspections/dealers/<int:dealer_id>/goods-check", methods=["GET", "POST"])
@web_role_required("enforcement")
def goods(dealer_id: int):
    dealer = dealer_for(db.session, g.principal, dealer_id)
    if dealer is None:
        abort(404)
    results = None
    error = None
    text = request.form.get("identifiers", "")
    # What the inspection form held when the officer came here: given back on the way back.
    carried = {
        key: value
        for key, value in request.form.items()
        if key not in ("csrf_token", "identifiers", "from_inspection")
    }
    task_id = request.values.get("task_id", type=int)
    if task_id is not None:
        carried["task_id"] = str(task_id)
    if request.method == "POST":
        try:
            results = goods_check(db.session, dealer, _lines(text), now=utcnow())
        except InspectionError as exc:
            error = exception_text(exc)
        if not error and not results:
            error = _("Enter at least one identifier.")
    return render_template(
        "inspections/goods.html",
        dealer=dealer,
        results=results,
        error=error,
        text=text,
        carried=carried,
    ), (422 if error else 200)
