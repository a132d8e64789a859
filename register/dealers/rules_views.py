"""The web page of municipal rules: /municipality/rules (the municipality; admins name one)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..accounts.authz import web_role_required
from ..accounts.models import Role
from ..clock import clock, utcnow
from ..extensions import db
from .models import Municipality
from .rules import RuleError, RuleValues, rule_in_force, rule_versions, set_rule

bp = Blueprint("municipal_rules_web", __name__)


class RuleForm(FlaskForm):
    holding_period = IntegerField(
        _l("Holding period"), validators=[InputRequired(), NumberRange(3, 14)]
    )
    holding_period_unit = SelectField(
        _l("Counted in"), choices=[("working_days", _l("working days")), ("days", _l("days"))]
    )
    minimum_seller_age = IntegerField(
        _l("Minimum age of a seller"), validators=[InputRequired(), NumberRange(0, 100)]
    )
    registration_grace_working_days = IntegerField(
        _l("Registration deadline (working days after the acquisition)"),
        validators=[InputRequired(), NumberRange(0, 30)],
    )
    buyer_required_on_sale = BooleanField(_l("A sale needs the buyer's name and address"))
    effective_from = DateField(_l("Applies from"), validators=[Optional()])


_FORM_FIELD = {"holding_period.days": "holding_period", "effective_from": "effective_from"}


def _municipality() -> Municipality:
    if g.principal.role == Role.MUNICIPALITY:
        return db.session.get(Municipality, g.principal.municipality_id)
    code = request.args.get("code", "")
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        abort(404)
    return municipality


@bp.route("/municipality/rules", methods=["GET", "POST"])
@web_role_required("municipality", "admin")
def rules_page():
    municipality = _municipality()
    today = clock().today()
    current = rule_in_force(municipality, today)
    form = RuleForm(
        data=None
        if request.method == "POST"
        else {
            "holding_period": current.holding_period,
            "holding_period_unit": current.holding_period_unit,
            "minimum_seller_age": current.minimum_seller_age,
            "registration_grace_working_days": current.registration_grace_working_days,
            "buyer_required_on_sale": current.buyer_required_on_sale,
            "effective_from": today,
        }
    )
    if form.validate_on_submit():
        values = RuleValues(
            holding_period=form.holding_period.data,
            holding_period_unit=form.holding_period_unit.data,
            minimum_seller_age=form.minimum_seller_age.data,
            registration_grace_working_days=form.registration_grace_working_days.data,
            buyer_required_on_sale=form.buyer_required_on_sale.data,
            effective_from=form.effective_from.data or today,
        )
        try:
            set_rule(
                db.session,
                municipality,
                values,
                today=today,
                now=utcnow(),
                user_id=g.principal.user_id,
            )
        except RuleError as exc:
            for key in exc.errors:
                getattr(form, _FORM_FIELD.get(key, "effective_from")).errors.append(
                    _("A rule applies from today or a later day.")
                    if key == "effective_from"
                    else _("The holding period is 3 to 14 days.")
                )
        else:
            flash(_("The rule is saved."), "success")
            args = {} if g.principal.role == Role.MUNICIPALITY else {"code": municipality.code}
            return redirect(url_for("municipal_rules_web.rules_page", **args))
    status = 422 if form.errors else 200
    return render_template(
        "municipality/rules.html",
        form=form,
        municipality=municipality,
        current=current,
        versions=rule_versions(db.session, municipality),
        today=today,
    ), status
