"""trainingapp: a safeguarding children board's inter-agency training programme."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.routing import IntegerConverter

from . import config
from .database import configure_engine
from .extensions import csrf, db, limiter, login_manager, migrate, talisman
from .types import MAX_INT

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_security(app)
    register_templates(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from . import models  # noqa: F401  (every table known to Alembic)

    migrate.init_app(app, db, directory=str(MIGRATIONS))
    with app.app_context():
        configure_engine(db.engine)
    csrf.init_app(app)
    limiter.init_app(app)

    from .agencies.models import Person

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(token: str):
        """Every request re-reads the person, so a removed role or a
        deactivated account takes effect on the next request."""
        person = db.session.scalar(db.select(Person).where(Person.session_token == token))
        return person if person is not None and person.can_log_in else None


def register_security(app: Flask) -> None:
    """Security headers on every response, with a nonce-based CSP and no
    inline script anywhere. HTTPS-only settings (HSTS, Secure cookies,
    redirects to https) apply when HTTPS_ONLY is on, as in production;
    behind a TLS-terminating proxy set TRUSTED_PROXIES so the app sees the
    original scheme and client."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from .access import enforce_access

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    https = app.config["HTTPS_ONLY"]
    talisman.init_app(
        app,
        force_https=https,
        strict_transport_security=https,
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "font-src": "'self'",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
        permissions_policy={"browsing-topics": "()", "camera": "()", "microphone": "()",
                            "geolocation": "()"},
    )
    app.before_request(enforce_access)

    @app.after_request
    def no_store_for_signed_in(response):
        from flask_login import current_user

        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_templates(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from .forms import error_summary
    from .main.navigation import navigation

    app.jinja_loader = ChoiceLoader([
        PackageLoader("trainingapp"),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["error_summary"] = error_summary


# Each feature's blueprint lives in the package (``bp``); its view modules
# are imported here, not by the package, so that importing a feature's
# models or rules never pulls in the web layer (nor an import cycle).
FEATURE_VIEWS = {
    "main": ("views",),
    "accounts": ("views",),
    "admin": ("views", "levels"),
    "programme": ("views",),
    "bookings": ("views", "agency_views"),
    "scheduling": ("views", "catalogue_views", "import_views", "session_bookings"),
    "attendance": ("views", "staff_import"),
    "reports": ("views",),
    "privacy": ("views",),
}


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    # Before any rule is added: every <int:...> in a route is bounded.
    app.url_map.converters["int"] = BoundedIntConverter
    for feature, modules in FEATURE_VIEWS.items():
        package = import_module(f"{__name__}.{feature}")
        for module in modules:
            import_module(f"{package.__name__}.{module}")
        app.register_blueprint(package.bp)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` up to the largest id a database column holds: a bigger
    number in a URL answers 404 instead of overflowing the query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def register_errors(app: Flask) -> None:
    from . import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
