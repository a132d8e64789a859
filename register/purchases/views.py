"""DOR web pages for the counter: the purchase form, the register, entries, items (the CSV
import: ``register.imports.views``)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts.authz import web_role_required
from ..apiutil import paginate
from ..clock import AMSTERDAM, aware, clock
from ..csv_export import SafeCsvWriter
from ..dealers.models import Dealer
from ..extensions import db
from ..inputs import local_time_text
from .corrections import correct_purchase
from .forms import (
    correction_errors,
    correction_from_form,
    correction_values,
    form_errors,
    form_values,
    parse_euros,
    payload_from_form,
)
from .messages import translate
from .models import CATEGORIES, ID_DOCUMENT_TYPES, Purchase
from .presenters import present_item_history, present_purchase
from .queries import (
    audit_seller_reads,
    needs_purpose,
    purchase_query,
    scoped_purchases,
    visible_item,
    visible_purchase,
)
from .schemas import PurchaseListArgs
from .service import InvalidEntry, RegisterError, register_purchase, sell_item, validate_sale

bp = Blueprint("purchases_web", __name__)

STATUSES = ("holding", "available", "sold", "police_hold", "seized", "released")
PER_PAGE = 25


def _translated(errors: dict | None) -> dict[str, str]:
    return {
        path: " ".join(translate(m) for m in messages) for path, messages in (errors or {}).items()
    }


def _dealer() -> Dealer:
    return db.session.get(Dealer, g.principal.dealer_id)


def _choices() -> dict:
    return {"categories": CATEGORIES, "document_types": ID_DOCUMENT_TYPES, "statuses": STATUSES}


@bp.route("/purchases/new", methods=["GET", "POST"])
@web_role_required("dealer")
def new_purchase():
    dealer = _dealer()
    if request.method == "GET":
        now = clock().now().astimezone(AMSTERDAM)
        values = {
            "acquired_at": now.strftime("%Y-%m-%dT%H:%M"),
            "seller.address.country": "NL",
            "seller.id_document.issuing_country": "NL",
            "item_count": 1,
        }
        return render_template(
            "purchases/new.html", dealer=dealer, values=values, errors={}, **_choices()
        )
    payload, own_errors = payload_from_form(
        request.form, donation_without_seller=dealer.kind == "thrift"
    )
    try:
        purchase = register_purchase(
            db.session, dealer, payload, now=clock().now(), user_id=g.principal.user_id
        )
    except RegisterError as exc:
        errors = form_errors(exc.errors or {}, own_errors)
        return render_template(
            "purchases/new.html",
            dealer=dealer,
            values=form_values(request.form),
            errors=_translated(errors),
            problem=translate(exc.detail) if exc.status != 422 else None,
            **_choices(),
        ), exc.status
    if own_errors:  # the entry was valid without the unreadable price: do not store it
        return render_template(
            "purchases/new.html",
            dealer=dealer,
            values=form_values(request.form),
            errors=_translated(own_errors),
            **_choices(),
        ), 422
    return redirect(url_for("purchases_web.confirmation", purchase_id=purchase.id), code=303)


@bp.route("/purchases/<int:purchase_id>/confirmation")
@web_role_required("dealer")
def confirmation(purchase_id: int):
    purchase = visible_purchase(db.session, g.principal, purchase_id)
    if purchase is None:
        abort(404)
    return render_template(
        "purchases/confirmation.html", purchase=present_purchase(purchase, clock().today())
    )


def _purpose_or_none() -> str | None:
    return (request.args.get("purpose") or "").strip() or None


@bp.route("/purchases")
@web_role_required("dealer", "enforcement", "police")
def register_list():
    args = PurchaseListArgs().load(_clean_args(request.args))
    purpose = _purpose_or_none()
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    needs = needs_purpose(g.principal)
    page = None
    if not needs or purpose:
        today = clock().today()
        page = paginate(db.session, purchase_query(g.principal, args, today), page_number, PER_PAGE)
        audit_seller_reads(
            db.session, g.principal, page["items"], purpose, action="search_register"
        )
        page["items"] = [present_purchase(p, today) for p in page["items"]]
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "purchases/list.html",
        page=page,
        args=request.args,
        query=query,
        needs_purpose=needs,
        purpose=purpose,
        **_choices(),
    )


def _clean_args(raw) -> dict:
    """Blank filter fields are no filter; a bad value is ignored rather than an error page."""
    allowed = {"purpose", "identifier", "from", "to", "category", "status"}
    cleaned = {k: v for k, v in raw.items() if k in allowed and v.strip()}
    errors = PurchaseListArgs().validate(cleaned)  # keyed by data_key: "from", "to"
    return {k: v for k, v in cleaned.items() if k not in errors}


@bp.route("/purchases/<int:purchase_id>")
@web_role_required("dealer", "enforcement", "police")
def purchase_detail(purchase_id: int):
    purpose = _purpose_or_none()
    if needs_purpose(g.principal) and not purpose:
        return render_template("purchases/purpose.html", target=request.path)
    purchase = visible_purchase(db.session, g.principal, purchase_id)
    if purchase is None:
        abort(404)
    audit_seller_reads(db.session, g.principal, [purchase], purpose, action="read_purchase")
    body = present_purchase(purchase, clock().today())
    return render_template(
        "purchases/detail.html",
        purchase=body,
        purpose=purpose,
        values=correction_values(body["current"]),
        errors={},
    )


@bp.route("/purchases/<int:purchase_id>/corrections", methods=["POST"])
@web_role_required("dealer")
def correct(purchase_id: int):
    """The correction form on the entry's page: the same service as the API's corrections."""
    purchase = visible_purchase(db.session, g.principal, purchase_id)
    if purchase is None:
        abort(404)
    current = present_purchase(purchase, clock().today())["current"]
    payload, own_errors = correction_from_form(request.form, current)
    try:
        correct_purchase(
            db.session, purchase, payload, now=clock().now(), user_id=g.principal.user_id
        )
        if own_errors:  # valid without the unreadable price: the boundary rolls it back
            raise InvalidEntry(own_errors)
    except RegisterError as exc:
        errors = correction_errors(exc.errors or {}, own_errors)
        if not errors:
            errors = {"changes": [exc.detail]}
        return render_template(
            "purchases/detail.html",
            purchase=present_purchase(purchase, clock().today()),
            purpose=None,
            values=request.form.to_dict(),
            errors=_translated(errors),
            correcting=True,
        ), exc.status
    flash(
        _("The correction is recorded; the entry as registered stays in the register."), "success"
    )
    return redirect(url_for("purchases_web.purchase_detail", purchase_id=purchase_id), code=303)


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@web_role_required("dealer", "enforcement", "police")
def item_detail(item_id: int):
    purpose = _purpose_or_none()
    if needs_purpose(g.principal) and not purpose:
        return render_template("purchases/purpose.html", target=request.path)
    item = visible_item(db.session, g.principal, item_id)
    if item is None:
        abort(404)
    errors, problem, status, values = {}, None, 200, {}
    if request.method == "POST":
        if g.principal.role != "dealer":
            abort(403)
        values = request.form.to_dict()
        payload = {
            "sold_at": local_time_text(values.get("sold_at", ""), AMSTERDAM),
            "price_cents": None,
        }
        price = values.get("price", "").strip()
        own = {}
        if price:
            cents = parse_euros(price)
            if cents is None:
                own["price"] = [_("Enter the price in euros, e.g. 250 or 249,95.")]
            payload["price_cents"] = cents
        if values.get("buyer.name", "").strip():
            payload["buyer"] = {"name": values["buyer.name"]}
        try:
            if own:  # the sale's own errors beside ours; nothing is stored
                validate_sale(payload, item, now=clock().now())
                raise RegisterError("", {})
            sell_item(db.session, item, payload, now=clock().now(), user_id=g.principal.user_id)
        except RegisterError as exc:
            merged = {
                ("price" if k == "price_cents" else k): v for k, v in (exc.errors or {}).items()
            }
            merged.update(own)
            errors = _translated(merged)
            problem = translate(exc.detail) if exc.status == 409 else None
            status = exc.status if not own else 422
        else:
            return redirect(url_for("purchases_web.item_detail", item_id=item_id), code=303)
    else:
        audit_seller_reads(db.session, g.principal, [item.purchase], purpose, action="read_item")
    today = clock().today()
    if not values:
        values = {"sold_at": clock().now().astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")}
    return render_template(
        "purchases/item.html",
        item=present_item_history(item, today),
        values=values,
        errors=errors,
        problem=problem,
        purpose=purpose,
    ), status


EXPORT_COLUMNS = (
    "sequence_number", "acquired_at", "recorded_at", "late", "acquisition_type", "seller_name",
    "seller_birth_date", "seller_address", "id_document", "item_id", "category", "brand",
    "model", "description", "price_cents", "imei", "serial_number", "frame_number", "status",
    "hold_until", "sold_at", "sale_price_cents", "corrections",
)  # fmt: skip


@bp.route("/purchases/export.csv")
@web_role_required("dealer")
def export_csv():
    """The dealer's own register as CSV: one row per item, in sequence order."""
    today = clock().today()
    purchases = db.session.scalars(
        scoped_purchases(g.principal).order_by(Purchase.sequence_number)
    ).all()
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(EXPORT_COLUMNS)
    for purchase in purchases:
        seller = purchase.seller
        for item in purchase.items:
            sale = item.sale
            writer.writerow(
                [
                    purchase.sequence_number,
                    _local(purchase.acquired_at),
                    _local(purchase.recorded_at),
                    "yes" if purchase.late else "no",
                    purchase.acquisition_type,
                    _seller(seller, "name"),
                    _seller(seller, "birth_date"),
                    _seller_address(seller),
                    _seller_document(seller),
                    item.id,
                    item.category,
                    item.brand or "",
                    item.model or "",
                    item.description or "",
                    "" if item.price_cents is None else item.price_cents,
                    item.imei or "",
                    item.serial_number or "",
                    item.frame_number or "",
                    item.effective_status(today),
                    item.hold_until.isoformat(),
                    _local(sale.sold_at) if sale else "",
                    "" if sale is None or sale.price_cents is None else sale.price_cents,
                    len(purchase.corrections),
                ]
            )
    filename = f"register-{g.principal.dealer_id}-{today.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _local(value) -> str:
    return aware(value).astimezone(AMSTERDAM).isoformat() if value else ""


def _seller(seller, name: str) -> str:
    if seller is None:
        return ""
    if seller.purged_at is not None:
        return "(removed)"
    value = getattr(seller, name)
    return value.isoformat() if hasattr(value, "isoformat") else (value or "")


def _seller_address(seller) -> str:
    if seller is None or seller.purged_at is not None:
        return _seller(seller, "name")
    postcode = seller.postcode or ""
    return f"{seller.street} {seller.house_number}, {postcode} {seller.city} ({seller.country})"


def _seller_document(seller) -> str:
    if seller is None or seller.purged_at is not None:
        return _seller(seller, "name")
    return f"{seller.id_document_type} {seller.id_document_number} ({seller.id_document_country})"
