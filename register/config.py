"""Configuration defaults.

Every key here can be overridden in ``instance/config.py`` or by an environment variable
named ``REGISTER_<KEY>`` (parsed as JSON when it looks like JSON, so ``false`` and ``3``
become a bool and an int). ``DATABASE_URL`` (unprefixed) selects the database.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

# SQLite: transactions outside requests (CLI, worker) take the write lock when they begin.
SQLITE_IMMEDIATE_OUTSIDE_REQUESTS = True
# How long a SQLite writer waits for the write lock before its request answers 503.
SQLITE_BUSY_TIMEOUT_MS = 30000

# Web session and CSRF.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # set True behind HTTPS
WTF_CSRF_TIME_LIMIT = None  # the counter form may stay open for a whole shift

# Request limits: a point-of-sale import of a few thousand rows fits comfortably.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# API tokens from POST /api/v1/auth/token.
ACCESS_TOKEN_LIFETIME_SECONDS = 3600

# Internationalisation: Dutch first, English on request.
BABEL_DEFAULT_LOCALE = "nl"
BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
LANGUAGES = ["nl", "en"]

# OpenAPI (flask-smorest).
API_TITLE = "Digitaal Opkopers Register"
API_VERSION = "v1"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api/v1"
OPENAPI_JSON_PATH = "openapi.json"
OPENAPI_SWAGGER_UI_PATH = "docs"
OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/static/"

# Rate limits (Flask-Limiter).
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_PUBLIC_CHECK = "30 per minute"
RATELIMIT_LOGIN = "10 per minute"
# Per account (per e-mail address, known or not) in the database, across processes: after
# this many failed sign-ins in a row, each further attempt waits, the base delay doubling
# with every failure up to the maximum; the owner is mailed once when it starts.
SIGN_IN_SLOWDOWN_AFTER = 5
SIGN_IN_SLOWDOWN_BASE_SECONDS = 60.0
SIGN_IN_SLOWDOWN_MAX_SECONDS = 3600.0
SIGN_IN_FAILURES_FORGOTTEN_AFTER_HOURS = 24.0  # a failure this old starts the count anew

# Police notifications.
POLICE_WEBHOOK_URL = "http://127.0.0.1:5001/webhook"
POLICE_WEBHOOK_SECRET = None  # whsec_...; generated into instance/ when missing

# Tamper evidence (docs/design.md): the key of every chain hash (HMAC-SHA256) and the key
# that signs the anchored chain heads. Kept outside the database; generated into instance/
# when missing. Keep a copy of both with the anchors, away from the database server.
CHAIN_SECRET = None
ANCHOR_SECRET = None
ANCHOR_DIR = None  # where the worker's daily anchor-heads goes; default instance/anchors
WORKER_POLL_SECONDS = 2.0
DELIVERY_BACKOFF_BASE_SECONDS = 30.0  # delay before the first retry; doubles each time
DELIVERY_BACKOFF_MAX_SECONDS = 3600.0  # longest delay between two attempts
DELIVERY_MAX_AGE_HOURS = 24.0  # retried at least this long before an event is dead
DELIVERY_CONNECT_TIMEOUT = 5.0
DELIVERY_READ_TIMEOUT = 10.0
WORKER_BATCH_SIZE = 20  # events claimed at once by one worker
# Each worker beats every WORKER_HEARTBEAT_SECONDS; one silent for WORKER_DEAD_AFTER_BEATS
# beats is dead and the others take back its claims at once.
WORKER_HEARTBEAT_SECONDS = 5.0
WORKER_DEAD_AFTER_BEATS = 3
# An event in flight longer than this, though its worker still beats, is handed out again
# (a live worker that could not record an outcome); keep it above WORKER_BATCH_SIZE *
# (connect + read timeout).
IN_FLIGHT_TIMEOUT_SECONDS = 900.0
WORKER_SWEEP_SECONDS = 30.0  # how often a worker looks for events stuck in flight
WORKER_TIMEZONE = "Europe/Amsterdam"  # for cron-scheduled housekeeping jobs
POLICE_RECEIVER_STORE = None  # demo receiver's SQLite file; instance/police_receiver.sqlite

# E-mail (sent by the worker over SMTP). `python3 dev.py serve` points these at its mail
# catcher. PUBLIC_BASE_URL is the address links in mails start with (None: the request's).
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_SENDER = "Digitaal Opkopers Register <noreply@opkopersregister.example>"
MAIL_TIMEOUT_SECONDS = 10.0
PUBLIC_BASE_URL = None
# One-time links in mails: an invitation, a password reset, a sign-up confirmation.
INVITATION_LIFETIME_HOURS = 72
PASSWORD_RESET_LIFETIME_HOURS = 2
SIGNUP_CONFIRMATION_LIFETIME_HOURS = 72

# DOC: the daily inspection scheduling (`flask schedule-inspections`, run by the worker).
# An active dealer that registered nothing for this many days gets an inspection task.
INSPECTION_NO_REGISTRATIONS_DAYS = 30
# A dealer without violations gets a routine visit this often; the interval shrinks as its
# risk score rises (docs/risk-score.md).
INSPECTION_ROUTINE_INTERVAL_DAYS = 365
INSPECTION_ROUTINE_MIN_INTERVAL_DAYS = 30
# A warning schedules a follow-up inspection this many days later.
INSPECTION_FOLLOW_UP_DAYS = 28

# Police investigation alerts (docs/investigation.md). Found at registration:
# frequent_seller: one identity document selling at least ALERT_FREQUENT_SELLER_ITEMS goods,
# or at ALERT_FREQUENT_SELLER_DEALERS or more dealers, within the window (acquisition dates).
ALERT_FREQUENT_SELLER_WINDOW_DAYS = 30
ALERT_FREQUENT_SELLER_ITEMS = 10
ALERT_FREQUENT_SELLER_DEALERS = 2
# resold_identifier: one identifier registered by this many dealers or more within the window.
ALERT_RESOLD_WINDOW_DAYS = 90
ALERT_RESOLD_DEALERS = 2
# Found by the worker's job (every ALERT_LOW_PRICE_JOB_SECONDS): low_price, a good bought for
# at most ALERT_LOW_PRICE_RATIO times the median price of like goods (category, brand, model)
# bought within the window, where at least ALERT_LOW_PRICE_MIN_SAMPLES such purchases exist.
ALERT_LOW_PRICE_WINDOW_DAYS = 365
ALERT_LOW_PRICE_RATIO = 0.25
ALERT_LOW_PRICE_MIN_SAMPLES = 20
ALERT_LOW_PRICE_JOB_SECONDS = 3600

# Database connection pool of each process (PostgreSQL; SQLite opens a connection per thread).
# A process holds at most DB_POOL_SIZE + DB_MAX_OVERFLOW connections and opens them only when
# that many requests run at once: a sync gunicorn worker uses one, a worker with N threads up
# to N. PostgreSQL's max_connections must cover every process on every machine.
DB_POOL_SIZE = 5
DB_MAX_OVERFLOW = 5
DB_POOL_TIMEOUT = 10  # seconds a request waits for a free connection before it fails
DB_POOL_RECYCLE = 1800  # replace connections older than this (firewalls, failovers)
# Check a connection before each use (SQLAlchemy's pool_pre_ping): a database restart costs
# no failed request.
DB_POOL_PRE_PING = True

# Behind a load balancer or reverse proxy: how many proxies in front of the web processes
# set X-Forwarded-For / -Proto / -Host. 0 trusts no such header. With 1, the client address
# (what rate limits count by) and the scheme come from the proxy's headers.
PROXY_HOPS = 0

# Retention of seller personal data (AVG): four years.
SELLER_DATA_RETENTION_DAYS = 4 * 365 + 1

# CSV imports (docs/csv-import.md). A file of up to IMPORT_SYNC_MAX_ROWS rows is stored
# within the request (well inside REGISTER_WORKER_TIMEOUT); a larger one becomes an import
# job that the notification worker stores in chunks, each its own transaction (on SQLite,
# what another registration waits for at most): the first of IMPORT_CHUNK_ROWS rows, the
# next sized to take about IMPORT_CHUNK_SECONDS each (None: all of IMPORT_CHUNK_ROWS).
IMPORT_SYNC_MAX_ROWS = 500
IMPORT_CHUNK_ROWS = 200
IMPORT_CHUNK_SECONDS = 0.5
# SQLite: the gap between two chunks. A registration waiting for the write lock takes it
# as soon as a chunk commits (it asks every half millisecond); one that arrives in the gap
# does not wait at all (another dealer's median during an import: 86 ms with 0.15 s, 365 ms
# with 0.02 s, for 9 % more import time).
IMPORT_SQLITE_PAUSE_SECONDS = 0.15
IMPORT_MAX_BYTES = 64 * 1024 * 1024  # the import's own request size limit (413 above)
IMPORT_POLL_SECONDS = 2.0  # how often the worker looks for queued import jobs
# A running job whose worker has not shown itself alive for this long is taken over and
# resumed after its last stored chunk.
IMPORT_STALE_SECONDS = 60.0


def database_url(instance_path: str) -> str:
    """The database URL: DATABASE_URL, or a SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants the psycopg 3 dialect.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "register.sqlite")


def env_overrides(prefix: str = "REGISTER_") -> dict:
    """Every REGISTER_<KEY> environment variable as a config key, JSON-decoded when possible."""
    values = {}
    for name, raw in os.environ.items():
        if not name.startswith(prefix) or name == prefix + "TESTING":
            continue
        key = name[len(prefix) :]
        try:
            values[key] = json.loads(raw)
        except ValueError:
            values[key] = raw
    return values


def instance_secret(instance_path: str, filename: str, make) -> str:
    """Read a generated secret from the instance folder, creating it on first use.

    Secrets are never constants in the code: each installation makes its own.
    """
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # Create with owner-only permissions before the secret touches the disk.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def new_secret_key() -> str:
    return secrets.token_hex(32)


def new_webhook_secret() -> str:
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
