"""At most 10 failed sign-ins per account in 5 minutes, across all workers.

gunicorn runs 4 worker processes; the failed attempts land on whichever
worker accepts them. With REDIS_URL set, Flask-Limiter keeps one count in
Redis, so the 11th attempt is refused whatever worker gets it. (Without
REDIS_URL each worker would count alone, in memory: fine for one process,
not for a deployment.)
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from trainingapp.extensions import db
from tests.factories import make_user
from tests.livehttp import Server

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.skipif(shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None,
                                reason="gunicorn is not installed")


def _redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"


@pytest.fixture
def anonymous_form(app, ctx):
    """A login-form CSRF token and its session cookie, made by the app."""
    from tests.conftest import FreshGlobalsClient

    app.config["WTF_CSRF_ENABLED"] = True
    client = FreshGlobalsClient(app, app.response_class, use_cookies=True)
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.get_cookie("session", domain="localhost").value, token


def failures_until_refused(server: Server, email: str, form, attempts: int) -> list[int]:
    cookie, token = form
    body = urlencode({"email": email, "password": "not the right password", "csrf_token": token})
    return [server.post_form("/login", body, cookie) for _ in range(attempts)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ten_failures_across_all_workers_with_redis(app, anonymous_form, tmp_path):
    reason = _redis_reason()
    if reason:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    email = f"target-{uuid.uuid4().hex[:8]}@example.org"
    make_user(email=email)
    db.session.commit()
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log",
                    extra_env={"REDIS_URL": REDIS_URL})
    try:
        statuses = failures_until_refused(server, email, anonymous_form, 12)
    finally:
        server.stop()
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
