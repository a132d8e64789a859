"""Stop Heling web pages: the public check and the police pages. Filled by issue 4."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("stolen_web", __name__)


@bp.route("/check")
def check():
    return render_template("placeholder.html", title="Stolen check")
