"""A real SMTP server in the test process (aiosmtpd, through the demonstration catcher)."""

from __future__ import annotations

import socket

import pytest

from notifications.mail_catcher import MailCatcher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def mail_config(smtp_port):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_SENDER": "dor@example.nl"}


@pytest.fixture
def mail_catcher(smtp_port):
    catcher = MailCatcher("127.0.0.1", smtp_port).start()
    yield catcher
    catcher.stop()


def deliver_mail(app) -> int:
    """Run the notification worker once (its mail sender on the app's MAIL_* settings)."""
    from notifications.worker import Worker

    return Worker(app).run_once()
