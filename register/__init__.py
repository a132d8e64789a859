"""The dealer register: a Flask application for the DOR, DOL and DOC, with Stop Heling."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask, request

from . import config as default_config

log = logging.getLogger(__name__)


def create_app(test_config: Mapping | None = None) -> Flask:
    """The application factory (flaskr style): defaults, instance config, env, test config."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(default_config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(default_config.env_overrides())
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    app.config.setdefault("SQLALCHEMY_DATABASE_URI", default_config.database_url(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = default_config.instance_secret(
            app.instance_path, "secret_key", default_config.new_secret_key
        )
    if not app.config.get("POLICE_WEBHOOK_SECRET"):
        app.config["POLICE_WEBHOOK_SECRET"] = default_config.instance_secret(
            app.instance_path, "police_webhook_secret", default_config.new_webhook_secret
        )
    for key, filename in (("CHAIN_SECRET", "chain_secret"), ("ANCHOR_SECRET", "anchor_secret")):
        if not app.config.get(key):
            app.config[key] = default_config.instance_secret(
                app.instance_path, filename, default_config.new_secret_key
            )
    _engine_options(app)
    _trust_proxies(app)
    _input_rules(app)

    _init_extensions(app)
    _register_blueprints(app)

    from . import cli, errors, housekeeping, idempotency, transactions

    transactions.init_app(app)
    idempotency.init_app(app)  # after transactions: its answer is stored before the commit
    housekeeping.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _engine_options(app: Flask) -> None:
    """SQLAlchemy's engine and pool as documented: connections pinged before use, the pool
    sized from the DB_* keys; explicit SQLALCHEMY_ENGINE_OPTIONS keys win."""
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("pool_pre_ping", bool(app.config["DB_POOL_PRE_PING"]))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
        return
    options.setdefault("pool_size", int(app.config["DB_POOL_SIZE"]))
    options.setdefault("max_overflow", int(app.config["DB_MAX_OVERFLOW"]))
    options.setdefault("pool_timeout", float(app.config["DB_POOL_TIMEOUT"]))
    options.setdefault("pool_recycle", int(app.config["DB_POOL_RECYCLE"]))
    # Each process names its connections, so pg_stat_activity shows who holds which.
    connect_args = options.setdefault("connect_args", {})
    connect_args.setdefault("application_name", f"register-{os.getpid()}")


def _input_rules(app: Flask) -> None:
    """Path ids through the bounded id converter, request bodies through the strict parser."""
    from .inputs import IdConverter
    from .strict_json import StrictJSONProvider, StrictJSONRequest

    app.url_map.converters["int"] = IdConverter
    app.json = StrictJSONProvider(app)
    app.request_class = StrictJSONRequest


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS proxies, take the client's address and scheme from their headers."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_extensions(app: Flask) -> None:
    import notifications
    import stolen_db

    from .accounts.views import load_user
    from .clock import SystemClock
    from .database import configure_sqlite
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale
    from .security import init_security

    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()
    db.init_app(app)
    with app.app_context():
        configure_sqlite(
            db.engine,
            immediate_outside_requests=app.config["SQLITE_IMMEDIATE_OUTSIDE_REQUESTS"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        )
    migrate.init_app(
        app,
        db,
        compare_type=True,
        render_as_batch=True,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import gettext

    login_manager.localize_callback = gettext  # its "Please log in to access this page."
    login_manager.user_loader(load_user)
    csrf.init_app(app)
    from . import i18n, webforms

    i18n.init_app(app)
    webforms.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    from .idempotency import IdempotencyKeyDoc

    api.init_app(app, spec_kwargs={"extra_plugins": [IdempotencyKeyDoc()]})
    init_security(app)

    from .accounts.authz import require_role, web_role_required
    from .clock import utcnow
    from .hits.service import retroactive_hits

    stolen_db.init_app(
        app,
        session=db.session,
        require_role=require_role,
        require_web_role=web_role_required,
        find_registered_matches=retroactive_hits,
        limiter=limiter,
        now=utcnow,
    )
    notifications.init_app(app, session=db.session, require_web_role=web_role_required)

    from .apiutil import guard_json_body, guard_web_input

    app.before_request(guard_json_body)
    app.before_request(guard_web_input)

    @app.context_processor
    def _inject_globals():
        from flask_babel import get_locale

        from .navigation import navigation_for

        return {
            "navigation": navigation_for(),
            "current_path": request.path,
            "languages": app.config["LANGUAGES"],
            "get_locale": get_locale,
        }


def _register_blueprints(app: Flask) -> None:
    import notifications.views
    import stolen_db.api
    import stolen_db.views

    from . import views as main_views
    from .accounts import account_views, admin_views, password_views, tokens_api
    from .accounts import accounts_api as account_management_api
    from .accounts import api as accounts_api
    from .accounts import views as accounts_views
    from .dealers import api as dealers_api
    from .dealers import rules_api, rules_views
    from .dealers import views as dealers_views
    from .extensions import api, csrf
    from .hits import api as hits_api
    from .hits import views as hits_views
    from .imports import api as imports_api
    from .imports import views as imports_views
    from .inspections import api as inspections_api
    from .inspections import views as inspections_views
    from .investigation import api as investigation_api
    from .investigation import views as investigation_views
    from .purchases import api as purchases_api
    from .purchases import views as purchases_views
    from .reports import api as reports_api
    from .reports import views as reports_views

    # JSON API (flask-smorest): documented in /api/v1/openapi.json, authenticated by bearer
    # token only, so it needs no CSRF protection.
    for module in (
        accounts_api,
        tokens_api,
        account_management_api,
        stolen_db.api,
        purchases_api,
        imports_api,
        dealers_api,
        rules_api,
        inspections_api,
        reports_api,
        hits_api,
        investigation_api,
    ):
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)

    # Web pages.
    for blueprint in (
        main_views.bp,
        accounts_views.bp,
        account_views.bp,
        password_views.bp,
        admin_views.bp,
        stolen_db.views.bp,
        purchases_views.bp,
        imports_views.bp,
        dealers_views.bp,
        rules_views.bp,
        inspections_views.bp,
        reports_views.bp,
        hits_views.bp,
        investigation_views.bp,
        notifications.views.bp,
    ):
        app.register_blueprint(blueprint)
