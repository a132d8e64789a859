"""Reports JSON API: /api/v1/reports/summary. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports: aggregate figures")
