"""DOR JSON API: registrations, the register, corrections, sales and the CSV import."""

from __future__ import annotations

from flask import Response, g, json, request
from flask_smorest import Blueprint

from ..accounts.authz import api_user, require_role
from ..apiutil import NON_JSON_ENDPOINTS, PageArgs, page_schema, paginate
from ..clock import clock
from ..database import end_read_phase, reads_first, writes_on_read
from ..dealers.models import Dealer
from ..errors import PROBLEM_MIMETYPE, PROBLEM_TYPE_BASE, abort_problem
from ..extensions import db
from . import importer
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
from .service import (
    RegisterError,
    ensure_active,
    record_registration,
    sell_item,
    validate_registration,
)

blp = Blueprint(
    "purchases", __name__, url_prefix="/api/v1", description="DOR: the dealer's purchase register"
)

PurchasePage = page_schema(PurchaseOut, "PurchasePage")


def _json_body(schema) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _fail(exc: RegisterError):
    db.session.rollback()
    abort_problem(exc.status, str(exc.detail), errors=exc.errors)


def _own_dealer() -> Dealer:
    """The dealer of the token's user as the token's lookup read it (plain values with the
    ``Dealer``'s attribute names and its ``municipality``): what registering reads, without
    loading a model. What matters is checked again under the register's lock."""
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
@reads_first
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
    now = clock().now()
    dealer = _own_dealer()
    try:
        ensure_active(dealer)
        data = validate_registration(request.get_json(silent=True), dealer, now=now)
        end_read_phase(db.session)  # SQLite: the write lock for the writing only
        purchase = record_registration(
            db.session, dealer, data, now=now, user_id=g.principal.user_id
        )
    except RegisterError as exc:
        _fail(exc)
    body = present_purchase(purchase, clock().today())
    return body


@blp.route("/purchases", methods=["GET"])
@writes_on_read  # police and inspectors' reads are audited
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
    db.session.commit()
    return page


@blp.route("/purchases/<int:purchase_id>", methods=["GET"])
@writes_on_read  # police and inspectors' reads are audited
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
    db.session.commit()
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
@writes_on_read  # police and inspectors' reads are audited
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
    db.session.commit()
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


@blp.route("/purchases/import", methods=["POST"])
@require_role("dealer")
@blp.doc(
    description=importer.FORMAT_DOC,
    requestBody={
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    },
)
@blp.response(201, importer.ImportResultOut)
@blp.alt_response(422, description="nothing stored; `rows` lists every bad row with its errors")
def import_purchases():
    """Bulk registration from a point-of-sale system (CSV): all rows are stored or none."""
    upload = request.files.get("file")
    if request.mimetype == "multipart/form-data" and upload is None:
        abort_problem(422, "Send the CSV file as the form field file.", errors=_NO_FILE)
    raw = upload.read() if upload is not None else request.get_data()
    if upload is not None and not raw:
        abort_problem(422, "The file is empty.", errors={"file": ["The file is empty."]})
    try:
        text = importer.decode(raw)
        result = importer.import_csv(
            db.session, _own_dealer(), text, now=clock().now(), user_id=g.principal.user_id
        )
    except importer.ImportRejected as exc:
        db.session.rollback()
        return _import_problem(exc)
    except RegisterError as exc:
        _fail(exc)
    return result


_NO_FILE = {"file": ["Send the CSV file."]}


def _import_problem(exc) -> Response:
    """422 with every bad row: ``errors`` by path (rows.3.imei) and ``rows`` as a list; a
    refusal of the file as a whole (not UTF-8 text, say) names the ``file``."""
    errors = {
        f"rows.{row['row']}.{name}": messages
        for row in exc.rows
        for name, messages in row["errors"].items()
    } or {"file": [str(exc.detail)]}
    body = {
        "type": PROBLEM_TYPE_BASE + "validation-error",
        "title": "Validation failed",
        "status": 422,
        "detail": str(exc.detail),
        "errors": errors,
        "rows": exc.rows,
    }
    return Response(json.dumps(body), status=422, mimetype=PROBLEM_MIMETYPE)


NON_JSON_ENDPOINTS.add("purchases.import_purchases")
