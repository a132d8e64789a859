"""Web login and logout, and the language switch."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..clock import utcnow
from ..extensions import db, limiter
from ..transactions import keep
from .forms import LoginForm
from .sessions import end_sessions
from .signin import sign_in

bp = Blueprint("accounts", __name__)

_UNSAFE_IN_NEXT = re.compile(r"[\\\x00-\x20\x7f-\x9f\u2028\u2029]")


def _safe_next(target: str | None) -> str:
    """Only redirect to our own pages (no open redirect, never a 500).

    A path of our own: it starts with one ``/``, has no scheme or host, and holds no
    backslash, whitespace or control character (browsers drop tabs and line breaks and read
    ``\\`` as ``/``, which would turn ``/\\evil.example`` into another site)."""
    if (
        target
        and target.startswith("/")
        and not _UNSAFE_IN_NEXT.search(target)
        and not target.startswith("//")
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for("main.index")


# Where each role starts its work after signing in.
START_PAGES = {
    "dealer": "/purchases",
    "municipality": "/meldplicht",
    "enforcement": "/inspections",
    "police": "/hits",
    "admin": "/notifications",
}


def start_page(role: str) -> str:
    return START_PAGES.get(role, "/")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = sign_in(db.session, form.email.data, form.password.data, now=utcnow())
        if result.user is not None:
            login_user(result.user)
            flash(_("You are logged in."), "success")
            target = request.args.get("next")
            return redirect(_safe_next(target) if target else start_page(result.user.role))
        keep()  # the failure counts, though the answer is a 422
        form.password.errors.append(_("Wrong e-mail address or password."))
        if result.retry_in:
            form.password.errors.append(
                ngettext(
                    "Too many failed attempts; try again in %(num)d minute.",
                    "Too many failed attempts; try again in %(num)d minutes.",
                    result.retry_minutes,
                )
            )
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Server-side: the account's sessions end, so a copied cookie stops working too.
    end_sessions(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    response = redirect(
        _safe_next(
            request.form.get("next") or (request.referrer and urlsplit(request.referrer).path)
        )
    )
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def load_user(session_id: str):
    from .sessions import user_for_session

    return user_for_session(db.session, session_id)


def current_user_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None
