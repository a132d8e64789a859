"""The dashboard. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("reports_web", __name__)


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("placeholder.html", title="Dashboard")
