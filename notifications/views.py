"""Pages for administrators and police: events by status, send again. Filled by issue 5."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications_web", __name__)
