"""DOR web pages for the counter. Filled by the DOR issue."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.authz import web_role_required

bp = Blueprint("purchases_web", __name__)


@bp.route("/purchases")
@web_role_required("dealer", "enforcement", "police")
def register_list():
    return render_template("placeholder.html", title="Register")


@bp.route("/purchases/new")
@web_role_required("dealer")
def new_purchase():
    return render_template("placeholder.html", title="New purchase")


@bp.route("/purchases/<int:purchase_id>")
@web_role_required("dealer", "enforcement", "police")
def purchase_detail(purchase_id: int):
    return render_template("placeholder.html", title="Purchase")
