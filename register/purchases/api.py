"""DOR JSON API: registrations, the register, corrections and sales (the CSV import:
``register.imports.api``)."""

from __future__ import annotations

from flask import g, request
from flask_smorest import Blueprint

from ..accounts.authz import api_user, require_role
from ..apiutil import PageArgs, page_schema, paginate
from ..clock import clock
from ..dealers.models import Dealer
from ..errors import abort_problem
from ..extensions import db
from .corrections import correct_purchase
from .presenters import (
    CorrectionOut,
    ItemHistoryOut,
    PurchaseOut,
    present_correction,
    present_item_history,
    present_purchase,
)
from .queries import (
    audit_seller_reads,
    needs_purpose,
    purchase_query,
    visible_item,
    visible_purchase,
)
from .schemas import CorrectionIn, PurchaseIn, PurchaseListArgs, PurposeArgs, SaleIn
from .service import RegisterError, register_purchase, sell_item

blp = Blueprint(
    "purchases", __name__, url_prefix="/api/v1", description="DOR: the dealer's purchase register"
)

PurchasePage = page_schema(PurchaseOut, "PurchasePage")


def _json_body(schema) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _fail(exc: RegisterError):
    abort_problem(exc.status, str(exc.detail), errors=exc.errors)


def _own_dealer() -> Dealer:
    """The dealer of the token's user (loaded with the token)."""
    return api_user().dealer


def _purpose(args: dict) -> str | None:
    purpose = (args.get("purpose") or "").strip()
    if needs_purpose(g.principal) and not purpose:
        abort_problem(
            422,
            "Police and enforcement state why they read a register: give purpose=<case number "
            "or reason>.",
            errors={"purpose": ["State the purpose: a case number or reason."]},
        )
    return purpose or None


@blp.route("/purchases", methods=["POST"])
@require_role("dealer")
@blp.doc(**_json_body(PurchaseIn))
@blp.response(201, PurchaseOut)
@blp.alt_response(403, description="the dealer is not connected to the DOR (not active)")
@blp.alt_response(422, description="invalid fields, each named by its path (items.1.imei)")
def create_purchase():
    """Register one acquisition from one seller, with its items.

    Each item is checked against Stop Heling at once; a match puts it on `police_hold`.
    Registered later than the municipality allows, the entry is flagged `late`.
    """
    try:
        purchase = register_purchase(
            db.session,
            _own_dealer(),
            request.get_json(silent=True),
            now=clock().now(),
            user_id=g.principal.user_id,
        )
    except RegisterError as exc:
        _fail(exc)
    body = present_purchase(purchase, clock().today())
    return body


@blp.route("/purchases", methods=["GET"])
@require_role("dealer", "enforcement", "police")
@blp.arguments(PurchaseListArgs, location="query")
@blp.arguments(PageArgs, location="query")
@blp.response(200, PurchasePage)
def list_purchases(args, page_args):
    """The register in scope, newest first; filter by identifier, dates, category, status.

    Police and enforcement must give `purpose`; every entry with personal data they see is
    written to the audit log.
    """
    purpose = _purpose(args)
    today = clock().today()
    page = paginate(db.session, purchase_query(g.principal, args, today), **page_args)
    audit_seller_reads(db.session, g.principal, page["items"], purpose, action="search_register")
    page["items"] = [present_purchase(p, today) for p in page["items"]]
    return page


@blp.route("/purchases/<int:purchase_id>", methods=["GET"])
@require_role("dealer", "enforcement", "police")
@blp.arguments(PurposeArgs, location="query")
@blp.response(200, PurchaseOut)
def get_purchase(args, purchase_id: int):
    """One entry with its corrections; the original stays as it was registered."""
    purpose = _purpose(args)
    purchase = visible_purchase(db.session, g.principal, purchase_id)
    if purchase is None:
        abort_problem(404, "No such purchase in your register.")
    audit_seller_reads(db.session, g.principal, [purchase], purpose, action="read_purchase")
    body = present_purchase(purchase, clock().today())
    return body


@blp.route("/purchases/<int:purchase_id>/corrections", methods=["POST"])
@require_role("dealer")
@blp.doc(**_json_body(CorrectionIn))
@blp.response(201, CorrectionOut)
@blp.alt_response(409, description="the entry's seller data was purged")
def create_correction(purchase_id: int):
    """Correct an entry: a new, dated entry with a reason that refers to the original."""
    purchase = visible_purchase(db.session, g.principal, purchase_id)
    if purchase is None:
        abort_problem(404, "No such purchase in your register.")
    try:
        correction = correct_purchase(
            db.session,
            purchase,
            request.get_json(silent=True),
            now=clock().now(),
            user_id=g.principal.user_id,
        )
    except RegisterError as exc:
        _fail(exc)
    body = present_correction(correction)
    return body


@blp.route("/items/<int:item_id>", methods=["GET"])
@require_role("dealer", "enforcement", "police")
@blp.arguments(PurposeArgs, location="query")
@blp.response(200, ItemHistoryOut)
def get_item(args, item_id: int):
    """One item with its whole history: registration, corrections, sale."""
    purpose = _purpose(args)
    item = visible_item(db.session, g.principal, item_id)
    if item is None:
        abort_problem(404, "No such item in your register.")
    audit_seller_reads(db.session, g.principal, [item.purchase], purpose, action="read_item")
    body = present_item_history(item, clock().today())
    return body


@blp.route("/items/<int:item_id>/sale", methods=["POST"])
@require_role("dealer")
@blp.doc(**_json_body(SaleIn))
@blp.response(200, ItemHistoryOut)
@blp.alt_response(
    409, description="in the holding period (the answer says until when) or on police hold"
)
def sell(item_id: int):
    """Register the sale of an item: when, for how much and (where asked) to whom."""
    item = visible_item(db.session, g.principal, item_id)
    if item is None:
        abort_problem(404, "No such item in your register.")
    try:
        sell_item(
            db.session,
            item,
            request.get_json(silent=True),
            now=clock().now(),
            user_id=g.principal.user_id,
        )
    except RegisterError as exc:
        _fail(exc)
    body = present_item_history(item, clock().today())
    return body
