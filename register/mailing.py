"""Mail to people: rendered in the recipient's language and written to the outbox.

``queue_mail`` renders a template of ``templates/mail/`` (its blocks ``subject``, ``text``
and ``html``) and enqueues a ``mail`` event in the caller's transaction: the mail leaves
only once that transaction commits, and never when it rolls back.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from sqlalchemy.orm import Session

from notifications.mail import MAIL_EVENT_TYPE
from notifications.models import OutboxEvent
from notifications.outbox import enqueue

DEFAULT_LANGUAGE = "nl"


def _render_block(template, name: str, context: dict) -> str:
    return "".join(template.blocks[name](template.new_context(context))).strip()


def render_mail(template_name: str, language: str, **context) -> dict:
    """The subject, plain text and HTML of ``templates/mail/<template_name>.txt``."""
    if language not in current_app.config["LANGUAGES"]:
        language = DEFAULT_LANGUAGE
    with force_locale(language):
        # The environment's globals (gettext, url_for) come with the template's context;
        # the page context processors do not (a mail may be written outside a request).
        template = current_app.jinja_env.get_template(f"mail/{template_name}.txt")
        return {
            "language": language,
            "subject": " ".join(_render_block(template, "subject", context).split()),
            "text": _render_block(template, "text", context) + "\n",
            "html": _render_block(template, "html", context),
        }


def queue_mail(
    session: Session,
    *,
    to: str,
    template: str,
    language: str | None,
    now: datetime,
    dedupe_key: str | None = None,
    **context,
) -> OutboxEvent:
    """Render one mail and put it in the outbox (flushes, never commits)."""
    rendered = render_mail(template, language or DEFAULT_LANGUAGE, **context)
    payload = {"to": to, **rendered}
    return enqueue(session, MAIL_EVENT_TYPE, payload, now=now, dedupe_key=dedupe_key)


def external_url(endpoint: str, **values) -> str:
    """An absolute address for a mail: under ``PUBLIC_BASE_URL`` when it is set, else under
    the request's own address (outside a request: the local development address)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base or not has_request_context():
        base = base or "http://127.0.0.1:5000"
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)
    return url_for(endpoint, _external=True, **values)
