"""Police pages: the search form with its results, the alerts and an alert's page.

They call the same services as the JSON API (``search``, ``alerts``) and audit the same way.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import func, select

from ..accounts.authz import web_role_required
from ..clock import clock
from ..extensions import db
from ..purchases.models import CATEGORIES
from .alerts import IllegalAlertTransition, set_alert_status
from .api import audit_alert_opening
from .models import Alert, AlertStatus
from .presenters import KIND_LABELS, STATUS_LABELS, alert_entries, present_alert
from .schemas import AlertStatusIn, SearchArgs
from .search import SearchRefused, audit_search, search_items

bp = Blueprint("investigation_web", __name__)

PER_PAGE = 50
# The form's fields, in the order of the error summary (query names as in the API).
FORM_FIELDS = (
    "purpose", "identifier", "brand", "partial", "document_number", "seller_name",
    "birth_date", "postcode", "q", "category", "from", "to", "municipality",
)  # fmt: skip
_FIELD_OF = {"date_from": "from", "date_to": "to", "_schema": "identifier"}
REFUSALS = {
    "no_criterion": _l("Give at least one search criterion."),
    "placeholder": _l("This is no identifier (a placeholder or empty)."),
    "too_short": _l("Give at least 4 letters or digits of the identifier."),
    "no_words": _l("Give at least one word (letters or digits)."),
    "no_document": _l("This is no document number."),
    "unknown_municipality": _l("No municipality has this code."),
}


def _first(messages) -> str:
    if isinstance(messages, dict):
        return _first(next(iter(messages.values())))
    return messages[0] if isinstance(messages, list) else str(messages)


@bp.route("/search")
@web_role_required("police", "enforcement")
def search_page():
    values = {name: request.args.get(name, "") for name in FORM_FIELDS}
    submitted = any(values.values())
    errors: dict[str, str] = {}
    page = None
    if submitted:
        try:
            args = SearchArgs().load(
                {k: v for k, v in request.args.items() if v != ""} | {"per_page": PER_PAGE}
            )
        except ValidationError as exc:
            errors = {_FIELD_OF.get(k, k): _first(v) for k, v in exc.messages.items()}
            args = None
        purpose = values["purpose"].strip()
        if not purpose:
            errors["purpose"] = _("State the purpose: a case number or reason.")
        if not errors:
            try:
                page = search_items(db.session, g.principal, args)
            except SearchRefused as exc:
                errors[_FIELD_OF.get(exc.field, exc.field)] = str(REFUSALS[exc.code])
            else:
                audit_search(db.session, g.principal, page, purpose, action="search_items")
    next_args = None
    if page is not None and page.next_cursor is not None:
        next_args = {k: v for k, v in values.items() if v} | {"cursor": page.next_cursor}
    return render_template(
        "investigation/search.html",
        values=values,
        errors={name: errors[name] for name in FORM_FIELDS if name in errors},
        page=page,
        next_args=next_args,
        categories=CATEGORIES,
        shows_seller=g.principal.role == "police",
    ), (422 if errors else 200)


@bp.route("/alerts")
@web_role_required("police")
def alert_list():
    status = request.args.get("status")
    status = status if status in set(AlertStatus) else None
    statement = select(Alert)
    if status:
        statement = statement.where(Alert.status == status)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    page = max(request.args.get("page", type=int) or 1, 1)
    alerts = list(
        db.session.scalars(
            statement.order_by(Alert.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        )
    )
    entries = alert_entries(db.session, alerts)
    return render_template(
        "investigation/alerts.html",
        alerts=[present_alert(alert, entries[alert.id]) for alert in alerts],
        total=total,
        page=page,
        pages=math.ceil(total / PER_PAGE) if total else 0,
        status=status or "",
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.route("/alerts/<int:alert_id>")
@web_role_required("police")
def alert_page(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    items = alert_entries(db.session, [alert])[alert.id]
    audit_alert_opening(alert, items, request.args.get("purpose") or None)
    return render_template(
        "investigation/alert.html",
        alert=present_alert(alert, items),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        error=None,
    )


@bp.route("/alerts/<int:alert_id>/status", methods=["POST"])
@web_role_required("police")
def alert_status(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    try:
        data = AlertStatusIn().load(
            {"status": request.form.get("status", ""), "note": request.form.get("note") or None}
        )
        set_alert_status(
            db.session, alert, data["status"], data["note"],
            user_id=g.principal.user_id, now=clock().now(),
        )  # fmt: skip
    except (ValidationError, IllegalAlertTransition):
        items = alert_entries(db.session, [alert])[alert.id]
        return render_template(
            "investigation/alert.html",
            alert=present_alert(alert, items),
            kind_labels=KIND_LABELS,
            status_labels=STATUS_LABELS,
            error=_("Choose a status this alert can take."),
        ), 422
    flash(_("The alert's status was saved."), "success")
    return redirect(url_for("investigation_web.alert_page", alert_id=alert.id))
