"""DOL JSON API: /api/v1/meldplicht. Filled by the DOL/DOC issue."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "meldplicht", __name__, url_prefix="/api/v1", description="DOL: the dealers' reporting duty"
)
