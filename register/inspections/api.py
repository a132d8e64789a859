"""DOC JSON API: /api/v1/inspections. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "inspections",
    __name__,
    url_prefix="/api/v1",
    description="DOC: inspection tasks and logged inspections",
)
