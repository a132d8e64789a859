"""DOR JSON API: /api/v1/purchases, corrections, sales. Filled by the DOR issue."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "purchases", __name__, url_prefix="/api/v1", description="DOR: the dealer's purchase register"
)
