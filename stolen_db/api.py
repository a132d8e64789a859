"""Stop Heling JSON API: the public check and the police theft reports. Filled by issue 4."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "stolen",
    __name__,
    url_prefix="/api/v1",
    description="Stop Heling: public check and police theft reports",
)
