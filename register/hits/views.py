"""The police's page of hits: registered goods that match a stolen report."""

from __future__ import annotations

import math

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from stolen_db.matching import MATCH_KINDS

from ..accounts.authz import web_role_required
from ..extensions import db
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
    hits = (
        db.session.scalars(statement.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
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
