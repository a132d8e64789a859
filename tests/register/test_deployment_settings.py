"""Deployment settings: the PostgreSQL connection pool, and trusting a load balancer."""

from __future__ import annotations

from register import create_app

POSTGRES_URL = "postgresql+psycopg://register@127.0.0.1:1/nowhere"  # never connected to


def test_postgresql_gets_a_bounded_pinged_and_recycled_pool(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "x"})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 5
    assert options["max_overflow"] == 5
    assert options["pool_recycle"] == 1800
    assert options["pool_pre_ping"] is True
    assert options["connect_args"]["application_name"].startswith("register-")
    with app.app_context():
        from register.extensions import db

        assert db.engine.pool.size() == 5


def test_pool_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("REGISTER_DB_POOL_SIZE", "2")
    monkeypatch.setenv("REGISTER_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("REGISTER_DB_POOL_PRE_PING", "false")
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "x"})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"]) == (2, 0)
    assert options["pool_pre_ping"] is False


def test_sqlite_keeps_its_busy_timeout_and_no_pool_options(tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": "x"}
    )
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"connect_args": {"timeout": 30}, "pool_pre_ping": True}


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(database_uri):
    from flask import request

    seen = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "x", "PROXY_HOPS": 1})

    @app.get("/_whoami")
    def whoami():
        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return {}

    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    app.test_client().get("/_whoami", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == {"addr": "203.0.113.7", "scheme": "https"}


def test_without_proxies_forwarded_headers_are_not_believed(database_uri):
    from flask import request

    seen = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "x"})

    @app.get("/_whoami")
    def whoami():
        seen["addr"] = request.remote_addr
        return {}

    app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen == {"addr": "10.0.0.2"}
