"""GET /api/v1/hits: the police's list of hits, newest first."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..accounts.authz import require_role
from ..apiutil import page_schema, paginate
from ..extensions import db
from .queries import hits_statement
from .schemas import HitArgs, HitOut

blp = Blueprint(
    "hits", __name__, url_prefix="/api/v1", description="Hits: registered goods reported stolen"
)


@blp.route("/hits")
@require_role("police")
@blp.arguments(HitArgs, location="query")
@blp.response(200, page_schema(HitOut, "HitPage"))
def list_hits(args):
    """Hits, newest first, each with its match, the item, the dealer and the stolen report."""
    statement = hits_statement(
        stolen_report_id=args.get("stolen_report_id"),
        dealer_id=args.get("dealer_id"),
        kind=args.get("kind"),
    )
    return paginate(db.session, statement, args["page"], args["per_page"])
