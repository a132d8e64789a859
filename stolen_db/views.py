"""Stop Heling web pages: the public check and the police's stolen reports."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from . import context
from .auth import web_roles
from .categories import category_labels
from .forms import CheckForm, StolenReportForm
from .matching import is_reported_stolen
from .models import REPORT_STATUSES, StolenReport
from .normalize import normalize_imei, normalize_serial
from .ratelimit import public_check_limited
from .schemas import AMSTERDAM, StolenReportIn
from .service import DuplicateReport, ReportRefused, report_theft, withdraw

bp = Blueprint("stolen_web", __name__, template_folder="templates")

PER_PAGE = 50


@bp.route("/check", methods=["GET", "POST"])
@public_check_limited
def check():
    """The public check: a form, and the answer in plain words. No login."""
    if request.method == "POST":
        form = CheckForm()
        submitted = form.validate_on_submit()
    else:  # a link such as /check?identifier=...: read, not validated (no token was posted)
        form = CheckForm(formdata=request.args or None)
        submitted = bool(request.args.get("identifier"))
    result = None
    status = 200
    if submitted:
        identifier = (form.identifier.data or "").strip()
        if not identifier:
            form.identifier.errors = [_("Type the IMEI, serial number or frame number.")]
            status = 422
        elif len(identifier) > 100:
            form.identifier.errors = [_("At most 100 characters.")]
            status = 422
        else:
            brand = (form.brand.data or "").strip()[:100] or None
            stolen = is_reported_stolen(context.session(), identifier, brand)
            result = {
                "identifier": identifier,
                "stolen": stolen,
                "checked_at": context.now(),
            }
    return render_template("stolen/check.html", form=form, result=result), status


def _page() -> int:
    page = request.args.get("page", type=int) or 1
    return max(page, 1)


@bp.route("/stolen")
@web_roles("police")
def report_list():
    """The police's stolen reports, newest first; search by identifier or report number."""
    db = context.session()
    statement = select(StolenReport)
    status = request.args.get("status")
    if status in REPORT_STATUSES:
        statement = statement.where(StolenReport.status == status)
    q = (request.args.get("q") or "").strip()
    if q:
        norm = normalize_serial(q)
        conditions = [StolenReport.report_number == q]
        if norm:
            conditions += [StolenReport.serial_norm == norm, StolenReport.frame_norm == norm]
            if norm.isdigit():
                conditions.append(StolenReport.imei_norm == normalize_imei(q))
        statement = statement.where(or_(*conditions))
    total = db.scalar(select(func.count()).select_from(statement.subquery()))
    page = _page()
    offset = (page - 1) * PER_PAGE
    reports = (
        db.scalars(
            statement.order_by(StolenReport.reported_at.desc(), StolenReport.id.desc())
            .limit(PER_PAGE)
            .offset(offset)
        ).all()
        if offset < total
        else []  # past the end (and never an offset beyond the database's integers)
    )
    return render_template(
        "stolen/list.html",
        reports=reports,
        total=total,
        page=page,
        pages=math.ceil(total / PER_PAGE) if total else 0,
        q=q,
        status=status if status in REPORT_STATUSES else "",
        labels=category_labels(),
    )


@bp.route("/stolen/new", methods=["GET", "POST"])
@web_roles("police")
def new_report():
    """Report a stolen good: the same service as POST /api/v1/stolen."""
    form = StolenReportForm()
    if request.method == "GET":
        form.reported_at.data = context.now().astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")
    if form.validate_on_submit():
        result = _save(form)
        if result is not None:
            report, hits = result
            flash(
                _(
                    "Report %(number)s saved. Registered goods matched: %(hits)s.",
                    number=report.report_number,
                    hits=hits,
                ),
                "success",
            )
            return redirect(url_for("stolen_web.report_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("stolen/new.html", form=form), status


def _translated(errors: dict) -> dict[str, list[str]]:
    return {
        name: [_(m) for m in (messages if isinstance(messages, list) else [str(messages)])]
        for name, messages in errors.items()
    }


def _save(form: StolenReportForm):
    db = context.session()
    try:
        data = StolenReportIn(naive_time_zone=AMSTERDAM).load(form.payload())
    except ValidationError as exc:
        form.add_errors(_translated(exc.messages))
        return None
    try:
        result = report_theft(
            db, data, now=context.now(), find_registered_matches=context.registered_matcher()
        )
    except ReportRefused as exc:
        form.add_errors(_translated(exc.errors))
        return None
    except (DuplicateReport, IntegrityError):
        form.add_errors({"report_number": [_("A report with this number exists already.")]})
        return None
    return result.report, result.retroactive_hits


@bp.route("/stolen/<int:report_id>/withdraw", methods=["POST"])
@web_roles("police")
def withdraw_report(report_id: int):
    db = context.session()
    report = withdraw(db, report_id, now=context.now())
    if report is None:
        abort(404)
    flash(_("Report %(number)s withdrawn.", number=report.report_number), "success")
    return redirect(url_for("stolen_web.report_list"))
