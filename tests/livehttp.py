"""A live app under gunicorn with several workers, and many clients firing
at once: used by the booking race test and by `make bench`."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.factories import login_as

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with several workers, on the test's database."""

    def __init__(self, uri: str, log: Path, unsafe: bool = False, workers: int = WORKERS,
                 extra_env: dict[str, str] | None = None):
        self.port = _free_port()
        self.log = log
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "test-secret", "HTTPS_ONLY": "0",
               "MAIL_BACKEND": "console"}
        env.pop("UNSAFE_DISABLE_BOOKING_LOCK_FOR_TESTS", None)
        env.pop("REDIS_URL", None)
        env.update(extra_env or {})
        if unsafe:
            env["UNSAFE_DISABLE_BOOKING_LOCK_FOR_TESTS"] = "1"
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
             f"127.0.0.1:{self.port}", "--backlog", "512", "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/contact")[0] == 200:
                    self._warm_up(workers)
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start: " + log.read_text()[-2000:])

    def _warm_up(self, workers: int) -> None:
        """Keep every worker busy at once for a moment, so each has booted
        and loaded the app before the real requests arrive: a race needs
        several workers answering at the same time."""
        for _ in range(3):
            threads = [threading.Thread(target=self.request, args=("GET", "/contact"))
                       for _ in range(workers * 2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    def post_form(self, path: str, body: str, cookie: str | None = None) -> int:
        return self.request("POST", path, body, cookie)[0]

    def request(self, method, path, body=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        started = time.monotonic()
        conn.request(method, path, body=body, headers=headers)
        status = conn.getresponse().status
        conn.close()
        return status, time.monotonic() - started

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def signed_in_forms(app, people) -> list[tuple[str, str]]:
    """(session cookie, csrf token) per person, made by the app itself."""
    app.config["WTF_CSRF_ENABLED"] = True
    forms = []
    from tests.conftest import FreshGlobalsClient

    for person in people:
        client = FreshGlobalsClient(app, app.response_class, use_cookies=True)
        login_as(client, person)
        page = client.get("/account").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        forms.append((client.get_cookie("session", domain="localhost").value, token))
    return forms


def fire(server, ref, forms) -> list[tuple[int, float]]:
    """Every form posted at the same moment."""
    barrier = threading.Barrier(len(forms))
    results: list = [None] * len(forms)

    def one(i, cookie, token):
        barrier.wait()
        try:
            results[i] = server.request("POST", f"/sessions/{ref}/book", f"csrf_token={token}", cookie)
        except OSError as exc:
            results[i] = (599, 0.0, str(exc))

    threads = [threading.Thread(target=one, args=(i, c, t)) for i, (c, t) in enumerate(forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
