"""Signed webhook delivery (Standard Webhooks) and the retry schedule.

One ``requests.Session`` per worker (connection reuse), explicit connect and read timeouts,
no redirects followed: only a 2xx answer from the configured address counts as delivered.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from standardwebhooks import Webhook

USER_AGENT = "dealer-register-webhooks/1"


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float


def encode_body(payload: dict) -> str:
    """The JSON body of an event: compact and stable, so every attempt sends the same bytes."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class WebhookSender:
    """Posts signed event bodies to one endpoint."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        wall_clock: Callable[[], datetime] = _wall_clock,
    ):
        self.url = url
        self.webhook = Webhook(secret)
        self.session = session or requests.Session()
        self.timeout = (connect_timeout, read_timeout)
        # The signature timestamp is transport time, not domain time: receivers reject
        # timestamps more than five minutes off their own clock.
        self.wall_clock = wall_clock

    def headers(self, message_id: str, body: str) -> dict[str, str]:
        """The Standard Webhooks headers for one attempt."""
        timestamp = self.wall_clock().astimezone(UTC)
        return {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": self.webhook.sign(message_id, timestamp, body),
        }

    def send(self, message_id: str, payload: dict) -> DeliveryResult:
        """One attempt: POST the signed body; never raises for network trouble."""
        body = encode_body(payload)
        headers = self.headers(message_id, body)
        started = time.perf_counter()
        try:
            response = self.session.post(
                self.url,
                data=body.encode("utf-8"),
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            return self._failed(started, None, f"timeout: {exc}")
        except requests.ConnectionError as exc:
            return self._failed(started, None, f"connection error: {exc}")
        except requests.RequestException as exc:
            return self._failed(started, None, f"request error: {exc}")
        # Read (and drop) the body so the connection goes back to the pool.
        text = response.text
        duration = (time.perf_counter() - started) * 1000
        if 200 <= response.status_code < 300:
            return DeliveryResult(True, response.status_code, None, duration)
        detail = text.strip().replace("\n", " ")[:200]
        error = f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
        return DeliveryResult(False, response.status_code, error, duration)

    @staticmethod
    def _failed(started: float, status: int | None, error: str) -> DeliveryResult:
        return DeliveryResult(False, status, error[:1000], (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for at least ``max_age`` before an event is dead."""

    base_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    jitter: float = 0.2  # up to this fraction added on top, so retries of many events spread
    max_age: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 = the first)."""
        nominal = min(self.max_delay_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        spread = (rng or random).uniform(0, nominal * self.jitter)
        return timedelta(seconds=nominal + spread)

    def gives_up(self, window_start: datetime, now: datetime) -> bool:
        """Whether a failure at ``now`` ends the event: only once the whole window has passed."""
        return now - window_start >= self.max_age
