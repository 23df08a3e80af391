"""trainingapp: a safeguarding children board's inter-agency training programme."""
from __future__ import annotations

from flask import Flask

from . import config
from .database import configure_engine
from .extensions import db, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from . import models  # noqa: F401  (every table known to Alembic)

    migrate.init_app(app, db, directory=str(_migrations_dir()))
    with app.app_context():
        configure_engine(db.engine)


def register_blueprints(app: Flask) -> None:
    from .programme import bp as programme_bp

    app.register_blueprint(programme_bp)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
