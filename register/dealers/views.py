"""DOL web pages. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.authz import web_role_required

bp = Blueprint("dealers_web", __name__)


@bp.route("/meldplicht")
@web_role_required("dealer", "municipality", "enforcement", "police")
def meldplicht():
    return render_template("placeholder.html", title="Reporting duty")
