"""The survey platform: satisfaction surveys for the evaluation of public institutions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import refresh as refresh_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import blas  # noqa: F401  (first of the package: before anything loads numpy)
from . import config as config_module
from .extensions import (
    babel,
    check_limits_of_writes,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)
from .i18n import remember_language, select_locale
from .web.bad_bytes import refuse_nul
from .web.connections import ping_when_idle
from .web.db_retry import register_lost_connection_page
from .web.errors import register_error_pages
from .web.headers import init_headers
from .web.lean_flask import LeanFlask
from .web.log_masking import mask_tokens_in_logs
from .web.navigation import IdConverter, navigation_context
from .web.rate_storage import storage_uri
from .web.uploads import apply_upload_limit


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, error pages."""
    app = LeanFlask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.defaults(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    config_module.check_secrets(app.config, debug=app.debug, testing=app.testing)
    os.makedirs(app.instance_path, exist_ok=True)
    mask_tokens_in_logs(app)
    _postgresql_session_settings(app)
    _trust_proxies(app)

    from . import (
        access,  # noqa: F401 - registers the login manager's user loader
        labels,
        models,  # the tables must be known to SQLAlchemy and Alembic
    )

    db.init_app(app)
    _keep_in_step(app)
    migrate.init_app(app, db, directory=str(config_module.MIGRATIONS_DIR), render_as_batch=True)
    # Ahead of CSRFProtect's own hook, which reads the form: the user of this request
    # (not one cached on a shared app context), then the upload limit of the route.
    app.before_request(_forget_cached_user)
    # The names of the administrators' own groups, read afresh for each request.
    labels.own_group_names = models.own_group_names
    app.before_request(models.forget_own_group_names)
    app.before_request(apply_upload_limit)
    app.before_request(refuse_nul)
    csrf.init_app(app)
    login_manager.init_app(app, add_context_processor=False)  # web.navigation's instead
    babel.init_app(app, locale_selector=select_locale)
    _lean_limits_and_pool(app)
    # Flask-Babel caches the locale on the app context, which a test client (or a
    # CLI command) may share between requests: choose it afresh for each request.
    app.before_request(refresh_locale)
    app.after_request(remember_language)
    init_headers(app)
    app.context_processor(_language_context)
    app.context_processor(navigation_context)

    from .web.templating import register_templating

    register_templating(app)
    # Before any route is added: the converter is chosen when a rule is bound.
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    register_error_pages(app)
    register_lost_connection_page(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _keep_in_step(app: Flask) -> None:
    """What is kept from one request to the next, and the hooks that keep it right."""
    from .responses import point_cache, usual_cache
    from .results import running

    # Results read running monthly sums, kept in step at every commit (survey.results.running).
    running.install(db.session)
    # A service point's settings kept per worker, dropped when they change.
    point_cache.install(app)
    # A source's usual for the burst rule kept per worker, dropped when earlier cards change.
    usual_cache.install()


def _lean_limits_and_pool(app: Flask) -> None:
    """Rate limits without a timer thread per request; connections pinged only when idle."""
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(
        str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    )
    limiter.init_app(app)
    check_limits_of_writes(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_when_idle(engine, float(app.config["SURVEY_DB_PING_IDLE_SECONDS"]))


def _postgresql_session_settings(app: Flask) -> None:
    """PostgreSQL: no JIT compilation and no parallel workers for our queries.

    The results' GROUP BY over a million scores costs enough for PostgreSQL
    to JIT-compile it, which takes longer (about 90 ms) than it saves on a
    query of well under a second. A year's results at 1,000 units were planned
    as a parallel scan of the monthly sums, which took 210 ms against 190 ms
    without (bench/bench_units_page.py): starting workers costs more than they
    save on queries this short. Engine options with connect_args of their own
    override both.
    """
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("postgresql") and "connect_args" not in options:
        options["connect_args"] = {"options": "-c jit=off -c max_parallel_workers_per_gather=0"}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _trust_proxies(app: Flask) -> None:
    """Behind SURVEY_PROXY_HOPS proxies, the client's address is the one they forwarded.

    Without this every request seems to come from the load balancer: the rate
    limits (sign-in, service-point cards) would put all staff and all citizens
    in one bucket. Only as many X-Forwarded-For entries as there are proxies are
    trusted; a client can add entries of its own, but not past ours.
    """
    hops = int(app.config.get("SURVEY_PROXY_HOPS") or 0)
    if hops < 0:
        raise RuntimeError(f"SURVEY_PROXY_HOPS must be 0 or more, got {hops}")
    if hops:
        # Flask's documented way to add middleware; mypy reads wsgi_app as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _forget_cached_user() -> None:
    """Flask-Login caches the user on ``g``; a shared app context must not carry it over."""
    from flask import g

    g.pop("_login_user", None)


def _language_context() -> dict[str, str]:
    """The current catalog and the matching HTML lang attribute, for every template."""
    from flask_babel import get_locale

    locale = get_locale()
    code = str(locale) if locale else "zh_Hans"
    return {"current_lang": code, "html_lang": code.replace("_", "-")}


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .evaluate import bp as evaluate_bp
    from .operator import bp as operator_bp
    from .respond import bp as respond_bp
    from .webhooks import bp as webhooks_bp

    for blueprint in (respond_bp, webhooks_bp, auth_bp, evaluate_bp, operator_bp, admin_bp):
        app.register_blueprint(blueprint)
    # The JSON API authenticates by token, not by a session form: no CSRF there.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: WAL for concurrent readers, foreign keys on, wait instead of failing when busy."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
