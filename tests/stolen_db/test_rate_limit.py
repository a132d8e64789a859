"""The public check is rate-limited per client, on the API and the web page together."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC_CHECK": "3 per minute"}


def check(client, ip="10.0.0.1"):
    return client.get(
        "/api/v1/stolen-check?identifier=490154203237518",
        environ_overrides={"REMOTE_ADDR": ip},
    )


def test_checks_beyond_the_limit_answer_429_with_retry_after(client):
    assert [check(client).status_code for _ in range(3)] == [200, 200, 200]
    response = check(client)
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_the_limit_counts_per_client(client):
    for _ in range(3):
        check(client, ip="10.0.0.1")
    assert check(client, ip="10.0.0.1").status_code == 429
    assert check(client, ip="10.0.0.2").status_code == 200


def test_the_web_page_and_the_api_share_one_budget(client):
    for _ in range(2):
        assert check(client).status_code == 200
    page = client.get(
        "/check?identifier=490154203237518", environ_overrides={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert page.status_code == 200
    limited = client.get(
        "/check?identifier=490154203237518", environ_overrides={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert check(client).status_code == 429


def test_showing_the_empty_form_does_not_count(client):
    for _ in range(5):
        assert (
            client.get("/check", environ_overrides={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
        )
    assert check(client).status_code == 200


def test_the_answer_carries_the_rate_limit_headers(client):
    response = check(client)
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "2"


class TestWithRedis:
    """Several web processes share one budget per client through Redis."""

    @pytest.fixture
    def app_config(self):
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_PUBLIC_CHECK": "2 per minute",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1",
        }

    def test_the_limit_is_kept_in_redis_when_configured(self, client, app):
        import random

        import redis

        from register.extensions import limiter

        assert type(limiter.storage).__name__ == "RedisStorage"
        ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        assert [check(client, ip).status_code for _ in range(3)] == [200, 200, 429]
        keys = redis.Redis.from_url("redis://127.0.0.1:6379/1").keys(f"*{ip}*")
        assert keys, "the counter lives in Redis"
