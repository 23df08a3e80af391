"""Defaults, overridden by ``instance/config.py``, then by environment
variables (contract section 1)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class Defaults:
    BOARD_NAME = "Safeguarding Children Partnership"
    # Target used for an agency without its own (contract section 5).
    COMPLIANCE_DEFAULT_TARGET = 90
    # Limits checked before any CSV is parsed.
    IMPORT_MAX_BYTES = 100 * 1024 * 1024
    IMPORT_MAX_ROWS = 1_000_000
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    CONTACT_EMAIL = "training@example.org"
    CONTACT_PHONE = ""
    # HSTS, Secure cookies and redirects to https: switch on in production
    # (HTTPS_ONLY=1). Off by default so that the app also answers on plain
    # http at 127.0.0.1, as `make run` and local tools expect.
    HTTPS_ONLY = False
    # Behind a reverse proxy that terminates TLS: how many proxies to trust
    # for X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix). 0 = none.
    TRUSTED_PROXIES = 0
    # Failed sign-ins allowed per account; counted across all workers when
    # REDIS_URL is set (contract: at most 10 in 5 minutes).
    LOGIN_FAILURE_LIMIT = "10 per 5 minutes"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # Outgoing mail (trainingapp/mail). MAIL_BACKEND "console" prints each
    # message instead of sending it (development).
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "training@localhost"  # e.g. "Safeguarding Training <training@example.org>"
    MAIL_TIMEOUT = 10  # seconds, per SMTP operation
    MAIL_MAX_ATTEMPTS = 8  # then the message is marked failed
    # Bookings lock the session row (PostgreSQL) / BEGIN IMMEDIATE (SQLite).
    # Never switch this off outside the race test's control run.
    BOOKING_LOCKS = True
    # Reminders go this many days before a session (flask send-reminders).
    REMINDER_DAYS = 3
    # apply-retention anonymises people with no activity for this many years
    # (trainingapp/privacy).
    RETENTION_YEARS = 7


ENV_SETTINGS = ("SECRET_KEY", "BOARD_NAME", "CONTACT_EMAIL", "CONTACT_PHONE", "MAIL_BACKEND", "MAIL_SERVER", "MAIL_USERNAME",
                "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER")
ENV_INT_SETTINGS = ("MAIL_PORT", "MAIL_TIMEOUT", "MAIL_MAX_ATTEMPTS", "REMINDER_DAYS", "TRUSTED_PROXIES",
                    "RETENTION_YEARS")
ENV_BOOL_SETTINGS = ("MAIL_USE_TLS", "HTTPS_ONLY")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name in ENV_SETTINGS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    for name in ENV_INT_SETTINGS + ENV_BOOL_SETTINGS:
        if os.environ.get(name):
            app.config[name] = _typed_env(name, os.environ[name])
    if os.environ.get("UNSAFE_DISABLE_BOOKING_LOCK_FOR_TESTS") == "1":
        # Test-only: the race test's control run proves it can see a race.
        app.config["BOOKING_LOCKS"] = False
        app.config["BOOKING_RACE_DELAY"] = float(os.environ.get("BOOKING_RACE_DELAY", "0.2"))
    if os.environ.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        f"sqlite:///{Path(app.instance_path) / 'trainingapp.db'}",
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _typed_env(name: str, value: str) -> int | bool:
    """An environment variable read as a whole number or a yes/no flag;
    a typo stops the app at start rather than being read as a default."""
    value = value.strip()
    if name in ENV_INT_SETTINGS:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _instance_secret(instance: Path) -> str:
    """A random key generated once per deployment and kept in ``instance/``."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
