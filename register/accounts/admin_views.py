"""/admin (municipalities, accounts, the audit log) and /staff (a municipality's or a
dealer's own accounts). Both call the services the API calls."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..apiutil import paginate
from ..clock import AMSTERDAM, utcnow
from ..dealers.models import Municipality
from ..dealers.service import DealerError, create_municipality
from ..extensions import db
from .audit import record_access
from .authz import web_role_required
from .management import (
    FieldError,
    NotInvited,
    OutOfScope,
    account_in_scope,
    accounts_in_scope,
    awaiting_password,
    change_role,
    deactivate,
    invite,
    invite_again,
)
from .models import ROLE_VALUES, AuditEntry, User

bp = Blueprint("admin", __name__)


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLE_VALUES])
    dealer_id = IntegerField(
        _l("Dealer number"), validators=[Optional(), NumberRange(1, 2**63 - 1)]
    )
    municipality = StringField(_l("Municipality code"), validators=[Optional(), Length(max=6)])


class MunicipalityForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=6)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


class ConfirmForm(FlaskForm):
    """Only the CSRF field: confirms the action its address names."""


def _roles_for(role: str) -> list[tuple[str, str]]:
    allowed = {"admin": ROLE_VALUES, "municipality": ("municipality", "enforcement"),
               "dealer": ("dealer",)}[role]  # fmt: skip
    return [(r, _(r)) for r in allowed]


def _invite(form: InviteForm) -> bool:
    """Invite from the form; errors go next to its fields. True when invited."""
    try:
        invite(
            db.session,
            g.principal,
            email=form.email.data,
            role=form.role.data,
            dealer_id=form.dealer_id.data,
            municipality_code=(form.municipality.data or "").strip().upper() or None,
            language=str(get_locale() or "nl"),
            now=utcnow(),
        )
    except OutOfScope:
        form.email.errors.append(_("No such dealer or municipality."))
        return False
    except FieldError as exc:
        field = getattr(form, {"id": "email"}.get(exc.field, exc.field), form.email)
        field.errors.append(str(exc))
        return False
    flash(_("The invitation is on its way to %(email)s.", email=form.email.data), "success")
    return True


# -- /staff: a municipality's or a dealer's own accounts -----------------------------------


@bp.route("/staff", methods=["GET", "POST"])
@web_role_required("municipality", "dealer")
def staff():
    form = InviteForm()
    form.role.choices = _roles_for(g.principal.role)
    if form.validate_on_submit() and _invite(form):
        return redirect(url_for("admin.staff"))
    accounts = db.session.scalars(accounts_in_scope(g.principal)).all()
    return render_template(
        "accounts/staff.html",
        form=form,
        accounts=accounts,
        invited=awaiting_password(db.session, accounts),
        confirm_form=ConfirmForm(),
    ), (422 if form.errors else 200)


@bp.route("/accounts/<int:account_id>/deactivate", methods=["POST"])
@web_role_required("admin", "municipality", "dealer")
def deactivate_account(account_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account = account_in_scope(db.session, g.principal, account_id)
    if account is None:
        abort(404)
    try:
        deactivate(db.session, g.principal, account, now=utcnow())
    except FieldError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(email)s is deactivated.", email=account.email), "success")
    return redirect((request.form.get("back") == "admin" and url_for("admin.admin")) or
                    url_for("admin.staff"))  # fmt: skip


@bp.route("/accounts/<int:account_id>/invitation", methods=["POST"])
@web_role_required("admin", "municipality", "dealer")
def invite_account_again(account_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account = account_in_scope(db.session, g.principal, account_id)
    if account is None:
        abort(404)
    try:
        invite_again(db.session, g.principal, account, now=utcnow())
    except NotInvited:
        flash(_("%(email)s is not waiting for an invitation.", email=account.email), "error")
    else:
        flash(_("The invitation is on its way to %(email)s.", email=account.email), "success")
    return redirect((request.form.get("back") == "admin" and url_for("admin.admin")) or
                    url_for("admin.staff"))  # fmt: skip


# -- /admin ------------------------------------------------------------------------------


def _audit_page(args):
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if args.get("user"):
        user_ids = select(User.id).where(User.email.contains(args["user"].strip().lower()))
        statement = statement.where(AuditEntry.user_id.in_(user_ids))
    for name in ("action", "record_type", "record_id"):
        if args.get(name):
            statement = statement.where(getattr(AuditEntry, name) == args[name].strip())
    if args.get("purpose"):
        statement = statement.where(AuditEntry.purpose.contains(args["purpose"].strip()))
    for name, op in (("from", "ge"), ("to", "lt")):
        try:
            day = datetime.strptime(args.get(name) or "", "%Y-%m-%d").date()
        except ValueError:
            continue
        if name == "to":
            day += timedelta(days=1)
        moment = datetime.combine(day, time(), AMSTERDAM)
        column = AuditEntry.at
        statement = statement.where(column >= moment if op == "ge" else column < moment)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1
    return paginate(db.session, statement, page, 50)


@bp.route("/admin", methods=["GET"])
@web_role_required("admin")
def admin():
    invite_form = InviteForm(formdata=None)
    invite_form.role.choices = _roles_for("admin")
    return _admin_page(invite_form, MunicipalityForm(formdata=None))


def _admin_page(invite_form, municipality_form, status=200):
    audit = _audit_page(request.args)
    emails = dict(db.session.execute(
        select(User.id, User.email).where(User.id.in_({e.user_id for e in audit["items"]}))
    ).all())  # fmt: skip
    accounts = db.session.scalars(accounts_in_scope(g.principal)).all()
    return render_template(
        "accounts/admin.html",
        municipalities=db.session.scalars(select(Municipality).order_by(Municipality.code)).all(),
        accounts=accounts,
        invited=awaiting_password(db.session, accounts),
        invite_form=invite_form,
        municipality_form=municipality_form,
        confirm_form=ConfirmForm(),
        roles=_roles_for("admin"),
        audit=audit,
        emails=emails,
        filters=request.args,
    ), status


@bp.route("/admin/accounts", methods=["POST"])
@web_role_required("admin")
def admin_invite():
    form = InviteForm()
    form.role.choices = _roles_for("admin")
    if form.validate_on_submit() and _invite(form):
        return redirect(url_for("admin.admin"))
    return _admin_page(form, MunicipalityForm(formdata=None), 422)


@bp.route("/admin/accounts/<int:account_id>/role", methods=["POST"])
@web_role_required("admin")
def admin_change_role(account_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account = db.session.get(User, account_id)
    if account is None:
        abort(404)
    dealer_id = request.form.get("dealer_id", "").strip()
    try:
        change_role(
            db.session,
            g.principal,
            account,
            role=request.form.get("role", ""),
            dealer_id=int(dealer_id) if dealer_id.isdigit() and len(dealer_id) < 19 else None,
            municipality_code=request.form.get("municipality", "").strip().upper() or None,
        )
    except (FieldError, OutOfScope) as exc:
        reason = str(exc) if isinstance(exc, FieldError) else _("no such dealer or municipality")
        message = _("The role of %(email)s is not changed: %(reason)s", email=account.email,
                    reason=reason)  # fmt: skip
        flash(message, "error")
    else:
        flash(_("The role of %(email)s is changed.", email=account.email), "success")
    return redirect(url_for("admin.admin"))


@bp.route("/admin/municipalities", methods=["POST"])
@web_role_required("admin")
def admin_create_municipality():
    form = MunicipalityForm()
    if form.validate_on_submit():
        try:
            municipality = create_municipality(db.session, form.code.data, form.name.data)
        except DealerError as exc:
            getattr(form, getattr(exc, "field", "code") or "code", form.code).errors.append(
                str(exc)
            )
        else:
            record_access(
                db.session,
                user_id=g.principal.user_id,
                action="municipality.create",
                record_type="municipality",
                record_id=municipality.code,
                details={"name": municipality.name},
            )
            flash(_("Municipality %(code)s is added.", code=municipality.code), "success")
            return redirect(url_for("admin.admin"))
    invite_form = InviteForm(formdata=None)
    invite_form.role.choices = _roles_for("admin")
    return _admin_page(invite_form, form, 422)


@bp.route("/admin/municipalities/<code>/name", methods=["POST"])
@web_role_required("admin")
def admin_rename_municipality(code: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        abort(404)
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 100:
        flash(_("A municipality's name is 1 to 100 characters."), "error")
        return redirect(url_for("admin.admin"))
    record_access(db.session, user_id=g.principal.user_id, action="municipality.rename",
                  record_type="municipality", record_id=code,
                  details={"before": municipality.name, "after": name})  # fmt: skip
    municipality.name = name
    flash(_("Municipality %(code)s is renamed.", code=code), "success")
    return redirect(url_for("admin.admin"))
