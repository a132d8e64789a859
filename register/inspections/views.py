"""DOC web pages. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.authz import web_role_required

bp = Blueprint("inspections_web", __name__)


@bp.route("/inspections")
@web_role_required("enforcement", "municipality")
def queue():
    return render_template("placeholder.html", title="Inspections")
