"""Pages for administrators and police: events by status, one event's attempts, send again."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .auth import session, web_roles
from .models import DEAD, EVENT_STATUSES, DeliveryAttempt, OutboxEvent
from .outbox import IllegalTransition, counts_by_status, resend
from .worker import app_now

bp = Blueprint("notifications_web", __name__, template_folder="templates")

PER_PAGE = 50
ROLES = ("admin", "police")


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/notifications")
@web_roles(*ROLES)
def index():
    status = request.args.get("status") or None
    if status is not None and status not in EVENT_STATUSES:
        status = None
    query = select(OutboxEvent)
    count = select(func.count()).select_from(OutboxEvent)
    if status is not None:
        query = query.where(OutboxEvent.status == status)
        count = count.where(OutboxEvent.status == status)
    page = _page_number()
    total = session().scalar(count)
    offset = (page - 1) * PER_PAGE
    events = (
        session()
        .scalars(query.order_by(OutboxEvent.id.desc()).limit(PER_PAGE).offset(offset))
        .all()
        if offset < total
        else []  # past the end (and never an offset beyond the database's integers)
    )
    return render_template(
        "notifications/index.html",
        events=events,
        counts=counts_by_status(session()),
        status=status,
        page=page,
        pages=max(1, math.ceil(total / PER_PAGE)),
        total=total,
    )


@bp.get("/notifications/<int:event_id>")
@web_roles(*ROLES)
def detail(event_id: int):
    event = session().get(OutboxEvent, event_id) or abort(404)
    attempts = (
        session()
        .scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.event_id == event.id)
            .order_by(DeliveryAttempt.id.desc())
        )
        .all()
    )
    return render_template(
        "notifications/detail.html",
        event=event,
        attempts=attempts,
        can_resend=event.status == DEAD,
    )


@bp.post("/notifications/<int:event_id>/resend")
@web_roles(*ROLES)
def send_again(event_id: int):
    event = session().get(OutboxEvent, event_id) or abort(404)
    try:
        resend(session(), event, now=app_now(current_app)())
    except IllegalTransition:
        flash(_("Only a dead notification can be sent again."), "error")
        return redirect(url_for(".detail", event_id=event_id))
    flash(_("Notification %(id)s will be sent again.", id=event_id), "success")
    return redirect(url_for(".detail", event_id=event_id))
