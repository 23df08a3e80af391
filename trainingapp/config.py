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


ENV_SETTINGS = ("SECRET_KEY", "BOARD_NAME")


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name in ENV_SETTINGS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
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


def _instance_secret(instance: Path) -> str:
    """A random key generated once per deployment and kept in ``instance/``."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
