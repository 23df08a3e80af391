"""Test fixtures: a fresh app and database per test, on SQLite always and on
PostgreSQL when a server is reachable.

The schema comes from the real migrations (never ``create_all``): SQLite
tests copy a database upgraded once per run; PostgreSQL tests share one
throwaway database, upgraded once and emptied after each test.

``TEST_POSTGRES_URL`` names the server's maintenance database (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
``REQUIRE_POSTGRES=1`` (set by .ci/run) turns "unreachable" into a failure.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from trainingapp import create_app
from trainingapp.extensions import db, limiter

class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    When a test holds an app context open (the ``ctx`` fixture), Flask runs
    the client's requests inside it, so ``g`` (where Flask-Login caches the
    signed-in user, Flask-WTF its token, Flask-Limiter its state) would leak
    from one request into the next. In production every request has its own.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "HTTPS_ONLY": False,
    "SERVER_NAME": "localhost",
    "MAIL_BACKEND": "console",
}


def _upgrade(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _upgrade(f"sqlite:///{path}")
    return str(path)


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def postgres_url():
    reason = _postgres_reason()
    if reason:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason + " (REQUIRE_POSTGRES is set)")
        pytest.skip(reason)
    name = f"trainingapp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    _upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(app) -> None:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "levels"]
        db.session.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        ))
        db.session.execute(text("UPDATE levels SET validity_months = 36, required_hours = NULL"))
        db.session.commit()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        uri = f"sqlite:///{path}"
    else:
        uri = request.getfixturevalue("postgres_url")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
    if backend == "postgresql":
        _empty_postgres(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def client(app):
    return app.test_client()
