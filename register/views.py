"""The start page and the self-hosted Swagger UI assets."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, render_template, send_from_directory

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("index.html")


@bp.route("/toegankelijkheid")
def accessibility():
    """The accessibility statement (toegankelijkheidsverklaring) that Dutch law asks for."""
    return render_template("accessibility.html")


@bp.route("/healthz")
def healthz():
    """A trivial endpoint: load balancers' liveness check, and the benchmarks' baseline."""
    return {"status": "ok"}


@bp.route("/api/v1/docs/static/<path:filename>")
def swagger_ui_asset(filename: str):
    """Swagger UI from the installed package: the docs work without any outside network."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
