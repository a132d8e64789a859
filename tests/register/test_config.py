"""Configuration: defaults, instance config, environment, generated secrets."""

from __future__ import annotations

from register import create_app
from register.config import database_url


def test_environment_variables_override_config_keys(monkeypatch, database_uri):
    monkeypatch.setenv("REGISTER_WORKER_POLL_SECONDS", "0.5")
    monkeypatch.setenv("REGISTER_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("REGISTER_POLICE_WEBHOOK_URL", "http://127.0.0.1:9999/hook")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "x"})
    assert app.config["WORKER_POLL_SECONDS"] == 0.5
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["POLICE_WEBHOOK_URL"] == "http://127.0.0.1:9999/hook"


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/register.sqlite"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@localhost/db")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@localhost/db"


def test_secret_key_is_generated_once_per_installation(tmp_path):
    from register.config import instance_secret, new_secret_key

    first = instance_secret(str(tmp_path), "secret_key", new_secret_key)
    again = instance_secret(str(tmp_path), "secret_key", new_secret_key)
    assert first == again and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app, session):
    from sqlalchemy import text

    if session.get_bind().dialect.name != "sqlite":
        return
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
