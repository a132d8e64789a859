"""Passwords on the web: the invitation and reset links, /password/forgot, and changing
one's own password on /account. Every new password ends the account's other sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..clock import utcnow
from ..extensions import db, limiter
from ..purchases.messages import translate
from .links import mail_password_reset, set_password_with_link, valid_link
from .models import User
from .passwords import MAX_LENGTH, MIN_LENGTH
from .service import WeakPassword, set_password

bp = Blueprint("password", __name__)


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


def _link_page(purpose: str, token: str):
    now = utcnow()
    if valid_link(db.session, purpose, token, now=now) is None:
        return render_template("accounts/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = set_password_with_link(db.session, purpose, token, form.password.data, now=now)
        except WeakPassword as exc:
            form.password.errors.append(translate(exc.args[0]))
        else:
            if user is None:
                return render_template("accounts/link_invalid.html"), 404
            flash(_("Your password is set. You can log in with it now."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    title = _("Choose your password") if purpose == "invitation" else _("Choose a new password")
    return render_template("accounts/set_password.html", form=form, title=title), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    return _link_page("invitation", token)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    return _link_page("password_reset", token)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        address = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == address))
        if user is not None and user.is_active:
            mail_password_reset(db.session, user, now=utcnow())
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_sent.html")
    status = 422 if form.errors else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                set_password(user, form.password.data)  # every session ends...
            except WeakPassword as exc:
                form.password.errors.append(translate(exc.args[0]))
            else:
                login_user(user)  # ...and this one goes on
                flash(_("Your password is changed. Your other sessions have ended."), "success")
                return redirect(url_for("account.account"))
    status = 422 if form.errors else 200
    return render_template("accounts/change_password.html", form=form), status
