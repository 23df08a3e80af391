"""Never overbooked: the last places race through the real HTTP stack.

Several gunicorn worker processes serve the app against the test database
(SQLite file or PostgreSQL). 200 different people book the last 5 places at
once: exactly 5 are confirmed, 195 waitlisted with unique positions, no
response is a server error and no worker logs "database is locked". A
control run with the lock switched off (test-only setting) must overbook,
which proves the test can see a race. One person submitting 10 times at
once gets one booking.
"""
from __future__ import annotations

import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trainingapp.bookings.models import Booking, BookingStatus
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.types import uk_today
from tests.factories import make_agency, make_booking, make_session, make_user
from tests.livehttp import Server, fire, signed_in_forms

PEOPLE = 200
LAST_PLACES = 5
CAPACITY = 20

pytestmark = pytest.mark.skipif(shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None,
                                reason="gunicorn is not installed")


@pytest.fixture
def last_places(app, ctx):
    """A session with CAPACITY places of which LAST_PLACES are left, and
    PEOPLE people ready to book."""
    agency = make_agency("Race Agency")
    session = make_session(start_on=uk_today() + timedelta(days=20), capacity=CAPACITY,
                           status=SessionStatus.SCHEDULED, ref="RACE-1")
    for i in range(CAPACITY - LAST_PLACES):
        make_booking(session, make_user(agency=agency, email=f"early{i}@example.org"))
    people = [make_user(agency=agency, email=f"racer{i:03}@example.org") for i in range(PEOPLE)]
    db.session.commit()
    forms = signed_in_forms(app, people)
    # Hold no transaction (on SQLite: no write lock) while the workers run.
    db.session.commit()
    return session, forms


def counts(session_id) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(select(Booking.status, func.count()).where(
        Booking.session_id == session_id).group_by(Booking.status)).all()
    return {status.value: n for status, n in rows}


def test_200_people_race_for_the_last_5_places(app, last_places, tmp_path):
    session, forms = last_places
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log")
    try:
        results = fire(server, "RACE-1", forms)
    finally:
        server.stop()
    statuses = [r[0] for r in results]
    assert [r for r in results if r[0] >= 500][:3] == []
    assert sorted(set(statuses)) == [303]
    assert "database is locked" not in (tmp_path / "gunicorn.log").read_text()
    assert counts(session.id) == {"confirmed": CAPACITY, "waitlisted": PEOPLE - LAST_PLACES}
    orders = db.session.scalars(select(Booking.waitlist_order).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)).all()
    assert len(set(orders)) == PEOPLE - LAST_PLACES
    assert sorted(orders) == list(range(1, PEOPLE - LAST_PLACES + 1))  # gap-free


def test_control_run_without_the_lock_overbooks(app, last_places, tmp_path):
    session, forms = last_places
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log", unsafe=True)
    try:
        fire(server, "RACE-1", forms)
    finally:
        server.stop()
    assert counts(session.id)["confirmed"] > CAPACITY


def test_one_person_submitting_ten_times_at_once_gets_one_booking(app, last_places, tmp_path):
    session, forms = last_places
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log")
    try:
        results = fire(server, "RACE-1", [forms[0]] * 10)
    finally:
        server.stop()
    statuses = sorted(r[0] for r in results)
    assert statuses.count(303) == 1 and statuses.count(409) == 9
    assert counts(session.id) == {"confirmed": CAPACITY - LAST_PLACES + 1}
