"""DOL web pages: dealers file reports, municipalities review them, enforcement and police read.

The forms post flat field names in the API's paths (``business.address.street``), are loaded
with the API's schema and call the same service, so errors name the same fields.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select

from ..accounts.authz import Principal, web_role_required
from ..accounts.signup import confirm_signup as confirm_signup_link
from ..accounts.signup import start_signup
from ..apiutil import paginate
from ..clock import clock, utcnow
from ..errors import flatten_errors
from ..extensions import db, limiter
from ..i18n import exception_text, translated_errors
from ..purchases.models import CATEGORIES
from .meldplicht import SUBMITTED, DolReport
from .meldplicht_service import (
    Business,
    ReportConflict,
    decide,
    file_report,
    latest_accepted,
    report_for,
    reports_in_scope,
)
from .models import Dealer, Municipality
from .schemas import DecisionSchema, ReportCreateSchema
from .service import DealerError

bp = Blueprint("dealers_web", __name__)

BUSINESS_FIELDS = ("name", "kvk_number", "country")
ADDRESS_FIELDS = ("street", "house_number", "postcode", "city")
CONTACT_FIELDS = ("name", "phone", "email")


def _nested_report(form) -> dict:
    """The flat form as the API's nested report (empty fields left out)."""

    def pick(prefix, names):
        return {n: form.get(f"{prefix}{n}").strip() for n in names if form.get(f"{prefix}{n}")}

    business = pick("business.", BUSINESS_FIELDS)
    business["address"] = pick("business.address.", ADDRESS_FIELDS)
    business["contact"] = pick("business.contact.", CONTACT_FIELDS)
    business["goods_categories"] = form.getlist("business.goods_categories")
    data = {
        "type": form.get("type", ""),
        "effective_date": form.get("effective_date", ""),
        "municipality": form.get("municipality") or None,
        "business": business,
    }
    if data["municipality"] is None:
        del data["municipality"]
    if data["type"] == "stop" and not business.get("name"):
        del data["business"]  # a stop repeats the dealer's data
    return data


def _values_of(dealer: Dealer | None, latest: DolReport | None) -> dict:
    """The form's starting values: what the register knows of the dealer now."""
    if dealer is None:
        return {"business.country": "NL"}
    b = Business.of_dealer(dealer, latest)
    values = {
        "business.name": b.name,
        "business.kvk_number": b.kvk_number,
        "business.country": b.country,
        "business.address.street": b.street,
        "business.address.house_number": b.house_number,
        "business.address.postcode": b.postcode,
        "business.address.city": b.city,
        "business.contact.name": b.contact_name,
        "business.contact.phone": b.contact_phone,
        "business.contact.email": b.contact_email,
        "municipality": dealer.municipality.code,
    }
    values["business.goods_categories"] = b.goods_categories
    return values


def _form_values(form) -> dict:
    values = {key: form.get(key) for key in form}
    values["business.goods_categories"] = form.getlist("business.goods_categories")
    return values


def _municipalities():
    return db.session.scalars(select(Municipality).order_by(Municipality.name)).all()


@bp.route("/meldplicht")
@web_role_required("dealer", "municipality", "enforcement", "police")
def meldplicht():
    principal = g.principal
    page = max(1, request.args.get("page", 1, type=int))
    if principal.role == "dealer":
        dealer = db.session.get(Dealer, principal.dealer_id)
        reports = paginate(db.session, reports_in_scope(principal), page, 50)
        return render_template("meldplicht/dealer.html", dealer=dealer, reports=reports)
    statement = reports_in_scope(principal)
    status = request.args.get("status")
    if status in ("submitted", "accepted", "rejected"):
        statement = statement.where(DolReport.status == status)
    queue = []
    if principal.role == "municipality":
        queue = db.session.scalars(
            select(DolReport)
            .where(
                DolReport.municipality_id == principal.municipality_id,
                DolReport.status == SUBMITTED,
            )
            .order_by(DolReport.submitted_at, DolReport.id)
        ).all()
    reports = paginate(db.session, statement, page, 50)
    return render_template(
        "meldplicht/list.html", queue=queue, reports=reports, status=status, errors={}
    )


@bp.route("/meldplicht/new", methods=["GET", "POST"])
@web_role_required("dealer")
def new_report():
    dealer = db.session.get(Dealer, g.principal.dealer_id)
    default_type = "start" if dealer.status != "active" else "change"
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            data = ReportCreateSchema().load(_nested_report(request.form))
            report = file_report(
                db.session,
                dealer=dealer,
                report_type=data["type"],
                effective_date=data["effective_date"],
                now=utcnow(),
                business=Business.from_data(data["business"]) if data.get("business") else None,
                municipality_code=data.get("municipality"),
                user_id=g.principal.user_id,
            )
        except ValidationError as exc:
            errors = translated_errors(flatten_errors(exc.messages))
        except DealerError as exc:
            errors = {exc.field or "_schema": [exception_text(exc)]}
        except ReportConflict as exc:
            errors = {"_schema": [exception_text(exc)]}
        else:
            if report.timely:
                flash(_("Your report was filed. The municipality will review it."), "success")
            else:
                flash(
                    _("Your report was filed after its deadline (%(d)s).", d=report.deadline),
                    "warning",
                )
            return redirect(url_for("dealers_web.report_detail", report_id=report.id))
    else:
        values = _values_of(dealer, latest_accepted(db.session, dealer))
        values["type"] = request.args.get("type") or default_type
        values["effective_date"] = clock().today().isoformat()
    return render_template(
        "meldplicht/form.html",
        values=values,
        errors=errors,
        municipalities=_municipalities(),
        categories=CATEGORIES,
        dealer=dealer,
        signup=False,
    ), (422 if errors else 200)


@bp.route("/meldplicht/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def register_dealer():
    """A new dealer files its start report: the dealer (pending) and its account are made."""
    if current_user.is_authenticated:
        return redirect(url_for("dealers_web.meldplicht"))
    errors: dict[str, list[str]] = {}
    values = {"business.country": "NL", "kind": "commercial", "type": "start"}
    if request.method == "POST":
        values = _form_values(request.form)
        values.pop("password", None)
        form = request.form
        kind = form.get("kind", "commercial")
        nested = _nested_report(form)
        nested["type"] = "start"
        if not form.get("municipality"):
            errors["municipality"] = [_("Choose the municipality where you trade.")]
        if form.get("password") != form.get("password_repeat"):
            errors["password_repeat"] = [_("The passwords differ.")]
        try:
            data = ReportCreateSchema().load(nested)
        except ValidationError as exc:
            errors.update(translated_errors(flatten_errors(exc.messages)))
            data = None
        if not errors and data is not None:
            try:
                start_signup(
                    db.session,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    kind=kind,
                    effective_date=data["effective_date"],
                    municipality_code=data.get("municipality"),
                    business=Business.from_data(data["business"]),
                    now=utcnow(),
                    language=str(get_locale() or "nl"),
                )
            except (DealerError, ReportConflict) as exc:
                errors = {getattr(exc, "field", None) or "_schema": [exception_text(exc)]}
            else:
                # The same answer whether or not the address has an account.
                return render_template("meldplicht/signup_sent.html")
    else:
        values["effective_date"] = clock().today().isoformat()
    return render_template(
        "meldplicht/form.html",
        values=values,
        errors=errors,
        municipalities=_municipalities(),
        categories=CATEGORIES,
        dealer=None,
        signup=True,
    ), (422 if errors else 200)


@bp.route("/meldplicht/register/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    """The mailed link: a click shows a button, the button files the start report (a link
    scanner's GET changes nothing)."""
    from ..accounts.links import valid_link

    if valid_link(db.session, "signup", token, now=utcnow()) is None:
        return render_template("accounts/link_invalid.html"), 404
    form = ConfirmSignupForm()
    if request.method == "POST" and form.validate_on_submit():
        made = confirm_signup_link(db.session, token, now=utcnow())
        if made is None:
            return render_template("accounts/link_invalid.html"), 404
        _dealer, user, _report = made
        login_user(user)
        flash(
            _(
                "Your start report was filed. You can use the register once the "
                "municipality accepts it."
            ),
            "success",
        )
        return redirect(url_for("dealers_web.meldplicht"))
    return render_template("meldplicht/signup_confirm.html", form=form)


class ConfirmSignupForm(FlaskForm):
    """Only the CSRF field: confirms the sign-up its address names."""


@bp.route("/meldplicht/<int:report_id>")
@web_role_required("dealer", "municipality", "enforcement", "police")
def report_detail(report_id: int):
    report = report_for(db.session, g.principal, report_id)
    if report is None:
        abort(404)
    return render_template("meldplicht/detail.html", report=report, errors={})


@bp.route("/meldplicht/<int:report_id>/decision", methods=["POST"])
@web_role_required("municipality")
def decide_report(report_id: int):
    report = db.session.get(DolReport, report_id)
    if report is None or report.municipality_id != g.principal.municipality_id:
        abort(404)
    errors: dict[str, list[str]] = {}
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip()
    if decision == "rejected" and not reason:
        errors["reason"] = [_("Say why the report is rejected.")]
        return render_template("meldplicht/detail.html", report=report, errors=errors), 422
    if request.form.get("confirmed") != "yes":  # first the confirmation step
        return render_template(
            "meldplicht/confirm.html", report=report, decision=decision, reason=reason
        )
    try:
        data = DecisionSchema().load(
            {"decision": request.form.get("decision", ""), "reason": request.form.get("reason")}
        )
        decide(
            db.session,
            report,
            decision=data["decision"],
            reason=data.get("reason"),
            now=utcnow(),
            user_id=g.principal.user_id,
        )
    except ValidationError as exc:
        errors = translated_errors(flatten_errors(exc.messages))
    except DealerError as exc:
        errors = {exc.field or "_schema": [exception_text(exc)]}
    except ReportConflict as exc:
        errors = {"_schema": [exception_text(exc)]}
    if errors:
        return render_template("meldplicht/detail.html", report=report, errors=errors), 422
    if report.status == "accepted":
        flash(
            _(
                "Report accepted: %(name)s is %(status)s.",
                name=report.dealer.name,
                status=_(report.dealer.status),
            ),
            "success",
        )
    else:
        flash(_("Report rejected."), "info")
    return redirect(url_for("dealers_web.meldplicht"))


def principal_of_current_user() -> Principal:
    return Principal.of(current_user)
