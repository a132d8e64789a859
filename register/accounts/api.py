"""POST /api/v1/auth/token: trade an email and password for a bearer token."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..clock import utcnow
from ..errors import abort_problem
from ..extensions import db, limiter
from ..transactions import keep
from .service import issue_token
from .signin import sign_in

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Authentication: bearer tokens for API clients",
)


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds until the token expires"})


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@blp.route("/token", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
@blp.alt_response(401, description="wrong email or password")
def create_token(credentials):
    """Log in: a short-lived bearer token for the API."""
    result = sign_in(db.session, credentials["email"], credentials["password"], now=utcnow())
    if result.user is None:
        keep()  # the failure counts, though the answer is a 401
        if result.retry_in:
            minutes = result.retry_minutes
            abort_problem(
                401,
                f"Wrong email or password. Too many failed attempts; try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.",
                headers={"Retry-After": str(math.ceil(result.retry_in.total_seconds()))},
            )
        abort_problem(401, "Wrong email or password.")
    user = result.user
    lifetime = int(current_app.config["ACCESS_TOKEN_LIFETIME_SECONDS"])
    token = issue_token(db.session, user, now=utcnow(), lifetime=timedelta(seconds=lifetime))
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
