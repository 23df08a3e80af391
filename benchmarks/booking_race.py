"""Time the last-places race: 200 people book the last 5 places of one
session at the same moment, through gunicorn with 4 workers.

The same scenario as ``tests/test_booking_race.py`` (which asserts the
outcome); here we report how long people waited: p50, p95 and max latency
of the 200 POSTs, and the outcome (confirmed / waitlisted / errors) as a
check. ``benchmarks.run`` adds it to ``make bench``; on its own::

    .venv/bin/python -m benchmarks.booking_race --backend sqlite
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from .programme_page import _database, percentile

PEOPLE = 200
LAST_PLACES = 5
CAPACITY = 20


def run(backend: str, pg_admin_url: str, log) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from tests.conftest import BASE_CONFIG
    from tests.factories import make_agency, make_booking, make_session, make_user
    from tests.livehttp import WORKERS, Server, fire, signed_in_forms
    from trainingapp import create_app
    from trainingapp.bookings.models import Booking
    from trainingapp.courses.models import SessionStatus
    from trainingapp.extensions import db
    from trainingapp.types import uk_today

    url, drop = _database(backend, pg_admin_url)
    try:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            agency = make_agency("Race Agency")
            session = make_session(start_on=uk_today() + timedelta(days=20), capacity=CAPACITY,
                                   status=SessionStatus.SCHEDULED, ref="RACE-1")
            for i in range(CAPACITY - LAST_PLACES):
                make_booking(session, make_user(agency=agency, email=f"early{i}@example.org"))
            people = [make_user(agency=agency, email=f"racer{i:03}@example.org")
                      for i in range(PEOPLE)]
            db.session.commit()
            forms = signed_in_forms(app, people)
            db.session.commit()
            with tempfile.TemporaryDirectory() as folder:
                server = Server(url, Path(folder) / "gunicorn.log")
                try:
                    results = fire(server, "RACE-1", forms)
                finally:
                    server.stop()
                locked = "database is locked" in (Path(folder) / "gunicorn.log").read_text()
            db.session.expire_all()
            outcome = dict(db.session.execute(
                select(Booking.status, func.count()).where(Booking.session_id == session.id)
                .group_by(Booking.status)).all())
            db.session.remove()
            db.engine.dispose()
        latencies = [r[1] for r in results if r[0] < 500]
        statuses: dict[int, int] = {}
        for r in results:
            statuses[r[0]] = statuses.get(r[0], 0) + 1
        return {
            "statuses": statuses,
            "requests": len(results), "workers": WORKERS,
            "errors": sum(1 for r in results if r[0] >= 500), "locked": locked,
            "confirmed": outcome.get(next((s for s in outcome if s.value == "confirmed"), None), 0),
            "waitlisted": outcome.get(next((s for s in outcome if s.value == "waitlisted"), None), 0),
            "p50": statistics.median(latencies) if latencies else None,
            "p95": percentile(latencies, 0.95) if latencies else None,
            "max": max(latencies) if latencies else None,
        }
    finally:
        drop()


def summary(result: dict) -> str:
    return (f"p50 {result['p50']:.3f} s, p95 {result['p95']:.3f} s, max {result['max']:.3f} s; "
            f"{result['requests']} at once, {result['workers']} workers: "
            f"{result['confirmed']} confirmed (capacity {CAPACITY}), {result['waitlisted']} waiting, "
            f"{result['errors']} errors{', DATABASE LOCKED' if result['locked'] else ''}; "
            f"HTTP {result['statuses']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time 200 concurrent bookings of the last places.")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    from .run import PG_ADMIN_URL

    result = run(args.backend, PG_ADMIN_URL, print)
    print(summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
