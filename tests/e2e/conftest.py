"""Real-browser fixtures: Debian's chromium driven by Playwright against the
app served on 127.0.0.1, with a real SMTP server (aiosmtpd) catching its mail.

- ``browser``: one chromium for all the browser tests (package scope: it
  closes when they are done, see ``__init__.py``). Missing ``/usr/bin/chromium``
  skips these tests with a one-line reason; ``REQUIRE_BROWSER=1`` (set by
  .ci/run) turns that into a failure. Never download a browser.
- ``live``: per test, a fresh SQLite database copied from the migrated
  template (``sqlite_template`` in tests/conftest.py), the app with CSRF on
  and SMTP mail, served by werkzeug in a thread, and an inbox.
- ``page``: per test, a new browser context (no cookies carried over) whose
  console is watched for Content-Security-Policy refusals.

The test thread shares the SQLite file with the server threads, and every
transaction there begins with BEGIN IMMEDIATE: read and write the database
only through ``live.db(...)``, which closes its session at once, so the
server is never left waiting for a lock.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, TypeVar

import pytest
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from tests.conftest import BASE_CONFIG
from trainingapp import create_app
from trainingapp.extensions import db, limiter

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ASSETS = Path(__file__).resolve().parents[2] / "trainingapp" / "static" / "dist" / "app.css"
CSP_REFUSAL = re.compile(r"Refused to|Content Security Policy")
T = TypeVar("T")


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (REQUIRE_BROWSER=1 is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    if not ASSETS.exists():
        pytest.fail(f"{ASSETS} is missing: build the assets first (make assets)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# -- mail ---------------------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, to: str, subject: str, timeout: float = 10) -> EmailMessage:
        """The newest message to ``to`` with this subject, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages
                     if m["To"] == to and m["Subject"] == subject]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                seen = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no e-mail {subject!r} to {to}; received: {seen}")
            time.sleep(0.05)

    def link(self, to: str, subject: str, path: str) -> str:
        """The first link to ``path`` (e.g. "/confirm/") in the plain-text body."""
        body = self.wait_for(to, subject).get_body(("plain",)).get_content()
        match = re.search(r"https?://[^\s<>\"]+" + re.escape(path) + r"[^\s<>\"]*", body)
        assert match, f"no link to {path} in the e-mail:\n{body}"
        return match.group(0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the app on loopback -----------------------------------------------------------

class Live:
    """The served app: its address, the app object, and the mail it sent."""

    def __init__(self, app, url: str, inbox: Inbox):
        self.app, self.url, self.inbox = app, url, inbox

    def db(self, work: Callable[[], T]) -> T:
        """Run ``work`` in an app context and close the session straight
        after (commit it inside ``work`` to keep changes)."""
        with self.app.app_context():
            try:
                return work()
            finally:
                db.session.remove()


@pytest.fixture
def live(sqlite_template, tmp_path):
    path = tmp_path / "e2e.db"
    shutil.copy(sqlite_template, path)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port(), server_hostname="mail.test")
    smtp.start()
    config = {key: value for key, value in BASE_CONFIG.items() if key != "SERVER_NAME"}
    config.update({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "WTF_CSRF_ENABLED": True,
        "HTTPS_ONLY": False,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "Safeguarding Training <training@example.org>",
    })
    app = create_app(config)
    with app.app_context():
        limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="e2e-server", daemon=True)
    thread.start()
    try:
        yield Live(app, f"http://127.0.0.1:{server.server_port}", inbox)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        smtp.stop()
        with app.app_context():
            db.engine.dispose()


# -- one browser context per test ------------------------------------------------

@pytest.fixture
def page(browser, live):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Content-Security-Policy refusals in the console ("Refused to apply
    # inline style ...", or in newer Chromium "... violates the following
    # Content Security Policy directive ..."), and uncaught script errors.
    page.csp_errors = []
    page.on("console", lambda message: page.csp_errors.append(message.text)
            if message.type == "error" and CSP_REFUSAL.search(message.text) else None)
    page.on("pageerror", lambda error: page.csp_errors.append(f"uncaught error: {error}"))
    yield page
    context.close()
