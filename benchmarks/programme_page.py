"""Time the public programme page under load: ``GET /sessions`` with 2,000
upcoming sessions, from 20 concurrent clients, served by gunicorn.

One run, on a database of its own (SQLite: a new file; PostgreSQL: a
throwaway database, dropped afterwards):

1. a child process migrates the empty database and bulk-inserts the
   programme: 2,000 upcoming scheduled sessions of 20 courses, each with
   two days a week apart, at 12 venues or online, and 0-14 bookings each
   (so some are full with people waiting);
2. ``gunicorn -w 2`` serves ``wsgi:app`` on a free port on 127.0.0.1
   (sync workers, as in production on a 2-core machine);
3. after a warm-up, 20 threads send ``REQUESTS`` requests between them,
   each on a new connection (sync workers do not keep connections alive),
   and time each one from connect to the last byte.

Reported: p50, p95 and max latency, throughput, non-200 answers, and the
workers' peak resident memory. ``benchmarks.run`` adds it to ``make bench``;
on its own::

    .venv/bin/python -m benchmarks.programme_page --backend sqlite
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "bench-data"
RESULT_MARK = "PAGE-RESULT "

SESSIONS = 2_000
CLIENTS = 20
REQUESTS = 400
WORKERS = 2
PATH = "/sessions"


# -- the data (in a child process) ---------------------------------------------------------

def seed(url: str, count: int) -> dict:
    """Migrate the empty database at ``url`` and insert ``count`` upcoming
    sessions with days and bookings, in bulk."""
    from datetime import datetime, time as clock, timedelta, timezone

    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from trainingapp import create_app
    from trainingapp.agencies.models import Agency, Person, Role, Sector
    from trainingapp.bookings.models import Booking, BookingStatus
    from trainingapp.courses.models import (Course, SessionDay, SessionStatus, TrainingSession,
                                            Venue)
    from trainingapp.extensions import db
    from trainingapp.types import uk_today

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        today, now = uk_today(), datetime.now(timezone.utc)
        sector = Sector(name="Benchmark sector")
        agency = Agency(name="Benchmark agency", sector=sector)
        courses = [Course(code=f"BENCH-{n:02d}", title=f"Benchmark course {n}",
                          level=n % 4 or None, duration_days=2, capacity=12) for n in range(20)]
        venues = [Venue(name=f"Benchmark venue {n}", address=f"{n} High Street\nTown")
                  for n in range(12)]
        db.session.add_all([agency, *courses, *venues])
        db.session.flush()
        people = list(db.session.scalars(insert(Person).returning(Person.id), [
            {"email": f"bench{n}@example.org", "first_name": "Bench", "last_name": f"Person {n}",
             "agency_id": agency.id, "role": Role.PRACTITIONER} for n in range(14)]))
        rows = []
        for n in range(count):
            start = today + timedelta(days=1 + n % 365)
            venue = venues[n % 13] if n % 13 < 12 else None
            rows.append({"ref": f"BENCH-{n:05d}", "course_id": courses[n % 20].id,
                         "start_on": start, "end_on": start + timedelta(days=7),
                         "venue_id": venue.id if venue else None,
                         "online_url": None if venue else "https://meet.example/bench",
                         "capacity": 12, "status": SessionStatus.SCHEDULED,
                         "is_waitlist_open": n % 5 != 0, "created_at": now, "updated_at": now})
        ids = list(db.session.scalars(insert(TrainingSession).returning(TrainingSession.id), rows))
        db.session.execute(insert(SessionDay), [
            {"session_id": sid, "day_on": row["start_on"] + timedelta(days=offset),
             "starts_at": clock(9, 30), "ends_at": clock(16, 30)}
            for sid, row in zip(ids, rows) for offset in (0, 7)])
        bookings = []
        for i, sid in enumerate(ids):
            for k in range(i % 15):
                waiting = k >= 12
                bookings.append({
                    "session_id": sid, "person_id": people[k], "agency_id": agency.id,
                    "status": BookingStatus.WAITLISTED if waiting else BookingStatus.CONFIRMED,
                    "waitlist_order": k if waiting else None, "source": "benchmark",
                    "created_at": now, "updated_at": now})
        db.session.execute(insert(Booking), bookings)
        db.session.commit()
        upcoming = db.session.scalar(
            select(func.count()).select_from(TrainingSession)
            .where(TrainingSession.status == SessionStatus.SCHEDULED,
                   TrainingSession.start_on >= today))
        db.engine.dispose()
    return {"upcoming": upcoming, "bookings": len(bookings),
            "seconds": time.perf_counter() - started}


# -- serving and loading -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str = PATH, timeout: float = 60) -> tuple[int, float]:
    """(status, seconds) for one GET on a new connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "HTTPS_ONLY": "0", "SECRET_KEY": "benchmark",
           "MAIL_BACKEND": "console"}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_until_ready(server: subprocess.Popen, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped: " + (server.stderr.read() or "")[-2000:])
        try:
            if get(port, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {seconds:g} s")


def workers_peak_mb(master_pid: int) -> float:
    """Largest peak resident memory (VmHWM) among gunicorn's workers
    (Linux /proc; 0 elsewhere)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return 0.0
    peak = 0.0
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def load(port: int, requests: int, clients: int) -> tuple[list[float], list[int], float]:
    """Send ``requests`` GETs from ``clients`` threads; return the latencies,
    the statuses and the wall time."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    remaining = [requests]

    def client() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                status, seconds = get(port)
            except OSError:
                status, seconds = 0, float("nan")
            with lock:
                statuses.append(status)
                if status == 200:
                    latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# -- one run --------------------------------------------------------------------------------------

def _database(backend: str, pg_admin_url: str):
    """(url, drop) for a fresh empty database."""
    if backend == "sqlite":
        folder = DATA_ROOT / f"page-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        return f"sqlite:///{folder / 'page.db'}", lambda: shutil.rmtree(folder, ignore_errors=True)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"trainingapp_page_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False), drop


def run(backend: str, pg_admin_url: str, log, sessions: int = SESSIONS,
        requests: int = REQUESTS, clients: int = CLIENTS) -> dict:
    url, drop = _database(backend, pg_admin_url)
    server = None
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.programme_page", "--seed", url,
                               "--sessions", str(sessions)],
                              cwd=ROOT, capture_output=True, text=True)
        marked = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if proc.returncode != 0 or not marked:
            raise RuntimeError("seeding failed: " + (proc.stderr or proc.stdout)[-2000:])
        seeded = json.loads(marked[-1][len(RESULT_MARK):])
        log(f"  programme page: {seeded['upcoming']:,} upcoming sessions, "
            f"{seeded['bookings']:,} bookings seeded in {seeded['seconds']:.1f} s")
        port = free_port()
        server = serve(url, port)
        wait_until_ready(server, port)
        load(port, 4 * WORKERS, WORKERS)  # warm-up: templates compiled in every worker
        latencies, statuses, wall = load(port, requests, clients)
        failed = sum(1 for s in statuses if s != 200)
        result = {
            "upcoming": seeded["upcoming"], "requests": requests, "clients": clients,
            "workers": WORKERS, "failed": failed, "wall": wall,
            "throughput": requests / wall if wall else 0.0,
            "p50": statistics.median(latencies) if latencies else None,
            "p95": percentile(latencies, 0.95) if latencies else None,
            "max": max(latencies) if latencies else None,
            "peak_mb": workers_peak_mb(server.pid),
        }
        return result
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        drop()


def summary(result: dict) -> str:
    return (f"p50 {result['p50']:.3f} s, p95 {result['p95']:.3f} s, max {result['max']:.3f} s; "
            f"{result['requests']} requests from {result['clients']} clients, "
            f"{result['throughput']:.1f}/s, {result['workers']} workers, "
            f"{result['upcoming']:,} upcoming sessions")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time GET /sessions under concurrent load.")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seed", help=argparse.SUPPRESS)  # child: seed this database URL
    args = parser.parse_args(argv)
    if args.seed:
        print(RESULT_MARK + json.dumps(seed(args.seed, args.sessions)), flush=True)
        return 0
    pg_admin_url = os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    result = run(args.backend, pg_admin_url, lambda m: print(m, file=sys.stderr, flush=True),
                 args.sessions, args.requests, args.clients)
    print(summary(result) + (f"; {result['failed']} FAILED" if result["failed"] else ""))
    print(f"workers' peak memory {result['peak_mb']:.0f} MB")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
