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


@bp.route("/hits/items/<int:item_id>/decision", methods=["POST"])
@web_role_required("police")
def item_decision(item_id: int):
    item = db.session.get(Item, item_id)
    decision = request.form.get("decision")
    if item is None or decision not in DECISIONS:
        abort(404)
    note = (request.form.get("note") or "").replace("\r\n", "\n")
    if text_problem(note, multiline=True):
        flash(translate(text_problem(note, multiline=True)), "error")
        return redirect(url_for("hits_web.hit_list"))
    try:
        decide(
            db.session,
            item,
            decision,
            user_id=g.principal.user_id,
            note=note or None,
            now=utcnow(),
        )
    except NotOnHold:
        flash(_("Only an item on police hold can be seized or released."), "error")
        return redirect(url_for("hits_web.hit_list"))
    db.session.commit()
    flash(
        _("Item seized.") if decision == "seized" else _("Item released to the dealer."), "success"
    )
    return redirect(url_for("hits_web.hit_list"))
