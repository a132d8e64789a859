"""Safe retries: an ``Idempotency-Key`` on a creating POST (API.md, "Safe retries").

The first request with a key stores its answer (status, body, the headers that matter) in the
same transaction as what it created, scoped to the account and kept 24 hours. A retry with
the same key and the same request gets that answer again and writes nothing; the same key
with another request is a 422. Two concurrent requests with one key make one entry: the
unique (account, key) constraint makes the second wait for the first's commit, then the
second's whole transaction is rolled back and it answers what the first stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

from apispec import BasePlugin
from flask import Flask, Response, g, request
from sqlalchemy import JSON as JSONType
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import aware, utcnow
from .errors import abort_problem, problem_response
from .extensions import db
from .transactions import doom

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
_PRINTABLE_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
# The response headers a replay repeats (the body's type and where the new thing lives).
KEPT_HEADERS = ("Content-Type", "Location")

# The creating POSTs that take a key, by endpoint.
IDEMPOTENT_ENDPOINTS = {
    "purchases.create_purchase",
    "purchases.create_correction",
    "purchases.sell",
    "imports.import_purchases",
    "stolen.create_report",
    "meldplicht.file_meldplicht",
    "inspections.create_inspection",
}


# The header as the OpenAPI document describes it on each of those endpoints.
HEADER_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: a retry with the same key and the same request within 24 hours "
        "gets the first answer again (with the header Idempotent-Replayed: true) and creates "
        "nothing; the same key with another request is a 422. Keys are the account's own. "
        "1 to 255 printable ASCII characters, for example a UUID made per request."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}


class IdempotencyKeyDoc(BasePlugin):
    """An apispec plugin: documents the ``Idempotency-Key`` header on the POST of every
    endpoint in ``IDEMPOTENT_ENDPOINTS``, so the document and the behaviour share one list."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        post = (operations or {}).get("post")
        if rule is not None and post is not None and rule.endpoint in IDEMPOTENT_ENDPOINTS:
            post.setdefault("parameters", []).append(dict(HEADER_PARAMETER))


class IdempotencyKey(db.Model):
    """One account's key and the answer its first request got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and body: what "the same request" means.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict] = mapped_column(JSONType)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def replay(self) -> Response:
        response = Response(self.body, status=self.status_code)
        for name, value in self.headers.items():
            response.headers[name] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response


def fingerprint() -> str:
    """What this request asks for: its method, path and body (JSON read canonically)."""
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    if request.is_json:
        body = request.get_json(silent=True)
        digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    elif request.files:  # a multipart boundary differs per send: hash the files themselves
        for name, upload in sorted(request.files.items(multi=True)):
            digest.update(name.encode() + b"\0" + upload.read() + b"\0")
            upload.seek(0)
        digest.update(json.dumps(sorted(request.form.items(multi=True))).encode())
    else:
        digest.update(request.get_data())
    return digest.hexdigest()


def _stored(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def _answer_stored(stored: IdempotencyKey, expected: str) -> Response:
    """The stored answer for the same request; a 422 problem for another one."""
    if stored.fingerprint != expected:
        return problem_response(
            422,
            "This Idempotency-Key was used for another request: use a new key for a new request.",
            errors={HEADER: ["The key was used for another request within 24 hours."]},
        )
    return stored.replay()


def before_request() -> Response | None:
    """A retry answers what its first request answered; a new key lets the view run."""
    g.idempotency = None
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST" or request.endpoint not in IDEMPOTENT_ENDPOINTS:
        return None
    if not _PRINTABLE_KEY.match(key):
        abort_problem(
            422,
            "An Idempotency-Key is 1 to 255 printable ASCII characters.",
            errors={HEADER: ["Use 1 to 255 printable ASCII characters."]},
        )
    from .accounts.authz import api_user

    user = api_user()
    if user is None:
        return None  # the view answers 401
    expected = fingerprint()
    stored = _stored(db.session, user.id, key)
    if stored is not None and aware(stored.expires_at) <= utcnow():
        db.session.delete(stored)  # expired, not yet swept: the key is free again
        db.session.flush()
        stored = None
    if stored is not None:
        return _answer_stored(stored, expected)
    g.idempotency = (user.id, key, expected)
    return None


def after_request(response: Response) -> Response:
    """Store a success's answer with what it created, before the request commits."""
    pending = getattr(g, "idempotency", None)
    g.idempotency = None
    if pending is None or response.status_code >= 400:
        return response
    user_id, key, expected = pending
    now = utcnow()
    record = IdempotencyKey(
        user_id=user_id,
        key=key,
        fingerprint=expected,
        status_code=response.status_code,
        headers={name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
        body=response.get_data(),
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # A concurrent request with this key committed first (we waited for it): what this
        # one did must not be kept, and it answers what the first one stored.
        doom()
        stored = _stored(db.session, user_id, key)
        if stored is None:  # pragma: no cover - the constraint fired, so the row exists
            raise
        return _answer_stored(stored, expected)
    return response


def delete_expired(session: Session, now: datetime) -> int:
    """Housekeeping: remove keys past their 24 hours (flushes, never commits)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return result.rowcount or 0


def init_app(app: Flask) -> None:
    """Call after ``transactions.init_app``: after-request hooks run in reverse order, so
    the answer is stored before the request's commit."""
    app.before_request(before_request)
    app.after_request(after_request)
