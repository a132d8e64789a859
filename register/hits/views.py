"""The police's page of hits: registered goods that match a stolen report."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from stolen_db.matching import MATCH_KINDS

from ..accounts.authz import web_role_required
from ..clock import utcnow
from ..extensions import db
from ..inputs import text_problem
from ..purchases.messages import translate
from ..purchases.models import Item
from .decisions import DECISIONS, NotOnHold, decide
from .queries import hits_statement

bp = Blueprint("hits_web", __name__)

PER_PAGE = 50


@bp.route("/hits")
@web_role_required("police")
def hit_list():
    kind = request.args.get("kind")
    kind = kind if kind in MATCH_KINDS else None
    statement = hits_statement(kind=kind)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    page = max(request.args.get("page", type=int) or 1, 1)
    offset = (page - 1) * PER_PAGE
    hits = (
        db.session.scalars(statement.limit(PER_PAGE).offset(offset)).unique().all()
        if offset < total
        else []  # past the end (and never an offset beyond the database's integers)
    )
    return render_template(
        "hits/index.html",
        hits=hits,
        total=total,
        page=page,
        pages=math.ceil(total / PER_PAGE) if total else 0,
        kind=kind or "",
        kinds=MATCH_KINDS,
    )


@bp.route("/hits/items/<int:item_id>/decision", methods=["GET", "POST"])
@web_role_required("police")
def item_decision(item_id: int):
    """Seize or release a held item: a confirmation page with a note, then the decision."""
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    decision = request.values.get("decision")
    note = (request.form.get("note") or "").replace("\r\n", "\n").strip()
    errors = {}
    if request.method == "POST" and decision not in DECISIONS:
        errors["decision"] = [_("Choose whether you seize or release the item.")]
    if request.method == "POST" and not note:
        errors["note"] = [_("Write a note: why, and where the item goes.")]
    elif text_problem(note, multiline=True):
        errors["note"] = [translate(text_problem(note, multiline=True))]
    if request.method == "GET" or errors:
        return render_template(
            "hits/decision.html", item=item, decision=decision, note=note, errors=errors
        ), (422 if errors else 200)
    try:
        decide(
            db.session,
            item,
            decision,
            user_id=g.principal.user_id,
            note=note,
            now=utcnow(),
        )
    except NotOnHold:
        flash(_("Only an item on police hold can be seized or released."), "error")
        return redirect(url_for("hits_web.hit_list"))
    flash(
        _("Item seized.") if decision == "seized" else _("Item released to the dealer."), "success"
    )
    return redirect(url_for("hits_web.hit_list"))
