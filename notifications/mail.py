"""E-mail delivery over SMTP: the ``mail`` outbox event and its sender.

A ``mail`` event's payload is ``{"to", "language", "subject", "text", "html"}``, rendered
by the code that enqueued it. The sender turns it into one multipart message whose
``Message-ID`` comes from the event's message id, so a retry after a lost answer carries
the same id and a receiver can tell it is the same mail.
"""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from .delivery import DeliveryResult

MAIL_EVENT_TYPE = "mail"


@dataclass(frozen=True)
class MailSettings:
    server: str = "127.0.0.1"
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "noreply@localhost"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            server=config.get("MAIL_SERVER") or "127.0.0.1",
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=_flag(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=config.get("MAIL_SENDER") or "noreply@localhost",
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS") or 10.0),
        )


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def build_message(message_id: str, payload: dict, sender: str) -> EmailMessage:
    """The e-mail of one ``mail`` event: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    if payload.get("language"):  # after the content: setting it clears Content-* headers
        message["Content-Language"] = payload["language"]
    return message


class SmtpSender:
    """Sends ``mail`` events over SMTP, one connection per message; never raises for
    network or server trouble (the worker retries what failed)."""

    def __init__(self, settings: MailSettings):
        self.settings = settings

    def send(self, message_id: str, payload: dict) -> DeliveryResult:
        started = time.perf_counter()
        settings = self.settings
        try:
            message = build_message(message_id, payload, settings.sender)
        except (KeyError, TypeError, ValueError) as exc:
            return self._failed(started, f"malformed mail event: {exc!r}")
        try:
            with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
                if settings.use_tls:
                    smtp.starttls()
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            return self._failed(started, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return self._failed(started, f"SMTP error: {exc!r}")
        return DeliveryResult(True, None, None, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _failed(started: float, error: str) -> DeliveryResult:
        return DeliveryResult(False, None, error[:1000], (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        """Nothing to close: each message has its own connection."""
