"""/account: a signed-in person's own account (API tokens; the password)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..clock import utcnow
from ..extensions import db
from .authz import web_role_required
from .models import ROLE_VALUES, User
from .tokens import create_long_lived_token, own_tokens, revoke_own_token

bp = Blueprint("account", __name__)


class TokenForm(FlaskForm):
    name = StringField(_l("Name of the token"), validators=[DataRequired(), Length(max=200)])


class ConfirmForm(FlaskForm):
    """A form with only its CSRF field: confirms an action named by the address."""


def _page(token_form: TokenForm, *, new_token: str | None = None, status: int = 200):
    user = db.session.get(User, g.principal.user_id)
    tokens = db.session.scalars(own_tokens(user.id)).all()
    return render_template(
        "accounts/account.html",
        user=user,
        tokens=tokens,
        token_form=token_form,
        confirm_form=ConfirmForm(),
        new_token=new_token,
    ), status


@bp.route("/account", methods=["GET"])
@web_role_required(*ROLE_VALUES)
def account():
    return _page(TokenForm(formdata=None))


@bp.route("/account/tokens", methods=["POST"])
@web_role_required(*ROLE_VALUES)
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    user = db.session.get(User, g.principal.user_id)
    _row, token = create_long_lived_token(db.session, user, form.name.data.strip(), now=utcnow())
    flash(_("The token is made. Copy it now: it is shown only this once."), "success")
    # Shown in this answer only (never stored in the session or a later page).
    return _page(TokenForm(formdata=None), new_token=token, status=201)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@web_role_required(*ROLE_VALUES)
def revoke_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not revoke_own_token(db.session, g.principal.user_id, token_id, now=utcnow()):
        abort(404)
    flash(_("The token is revoked: it no longer works."), "success")
    return redirect(url_for("account.account"))
