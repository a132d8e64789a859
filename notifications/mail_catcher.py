"""A demonstration SMTP server that keeps what arrives and shows it on a small web page.

``flask --app register mail-catcher --port 1025 --web-port 1080`` runs it; ``python3 dev.py
serve`` starts it and points the service's ``MAIL_*`` settings at it. Nothing is relayed:
every mail stays in memory until the process ends. Tests use ``MailCatcher`` directly as
the real SMTP server they deliver to.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from flask import Flask, Response, abort, jsonify, render_template_string


@dataclass(frozen=True)
class CaughtMail:
    number: int
    received_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str | None
    language: str | None
    text: str
    html: str | None
    raw: bytes = field(repr=False)

    def as_json(self) -> dict:
        return {
            "number": self.number,
            "received_at": self.received_at.isoformat(),
            "from": self.sender,
            "to": list(self.recipients),
            "subject": self.subject,
            "message_id": self.message_id,
            "language": self.language,
            "text": self.text,
            "html": self.html,
        }


class _Handler:
    def __init__(self, catcher: MailCatcher):
        self.catcher = catcher

    async def handle_DATA(self, server, session, envelope):
        self.catcher.add(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        return "250 Message accepted for delivery"


def _part(message, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return None if part is None else part.get_content()


class MailCatcher:
    """An SMTP server on ``host:port`` (aiosmtpd, in a thread) and the mails it received."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1025):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._mails: list[CaughtMail] = []
        self._controller = Controller(_Handler(self), hostname=host, port=port)

    def add(self, sender: str, recipients, raw: bytes) -> CaughtMail:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            mail = CaughtMail(
                number=len(self._mails) + 1,
                received_at=datetime.now(UTC),
                sender=sender,
                recipients=tuple(recipients),
                subject=str(message.get("Subject", "")),
                message_id=message.get("Message-ID"),
                language=message.get("Content-Language"),
                text=_part(message, "plain") or "",
                html=_part(message, "html"),
                raw=raw,
            )
            self._mails.append(mail)
        return mail

    @property
    def mails(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def mails_to(self, address: str) -> list[CaughtMail]:
        return [m for m in self.mails if address.lower() in (r.lower() for r in m.recipients)]

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail catcher</title>
<meta http-equiv="refresh" content="10">
<style>body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}
article{border:1px solid #888;padding:.5rem 1rem;margin:1rem 0}pre{white-space:pre-wrap}</style>
</head><body><main><h1>Mail catcher</h1>
<p>{{ mails|length }} mail(s) arrived over SMTP on port {{ port }}, newest first. Nothing is
sent on.</p>
{% for mail in mails %}
<article><h2>{{ mail.subject }}</h2>
<p>To {{ mail.recipients|join(", ") }} · from {{ mail.sender }} ·
{{ mail.received_at.strftime("%Y-%m-%d %H:%M:%S") }} UTC
{% if mail.html %}· <a href="mail/{{ mail.number }}.html">HTML version</a>{% endif %}</p>
<pre>{{ mail.text }}</pre></article>
{% endfor %}</main></body></html>"""


def create_catcher_app(catcher: MailCatcher) -> Flask:
    """The page that shows what arrived (``/``), each HTML part, and ``/mails.json``."""
    app = Flask(__name__)

    @app.get("/")
    def index():
        return render_template_string(_PAGE, mails=list(reversed(catcher.mails)), port=catcher.port)

    @app.get("/mails.json")
    def mails_json():
        return jsonify([mail.as_json() for mail in catcher.mails])

    @app.get("/mail/<int:number>.html")
    def mail_html(number: int):
        found = [m for m in catcher.mails if m.number == number and m.html]
        if not found:
            abort(404)
        # A mail's HTML is shown as it came, but sandboxed: no scripts, no forms.
        return Response(
            found[0].html,
            mimetype="text/html",
            headers={
                "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'"
            },
        )

    return app
