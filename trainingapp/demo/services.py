"""Load the demo data set into an empty database (``flask --app wsgi demo-data``).

The data go in the way a board's own data would: as the six CSV files of
the bulk import (contract section 4), built in memory by :mod:`.plan`. What
those files cannot say (trainers, venue and course details, booking
approval, when bookings were made, the demo accounts' passwords) is added
in one more transaction.

The financial year 2011-12 gives exactly the figures of the board's annual
report (37 sessions planned, 29 run, 557 attended, ...); around today there
are recent sessions, a register to take and a year of sessions to book.
"""
from __future__ import annotations

import csv
import io
import os
import secrets
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from flask import current_app
from sqlalchemy import insert, select, update

from .. import audit
from ..accounts.services import hash_password, password_problem
from ..agencies.models import Agency, Person
from ..attendance.models import TrainingRecord
from ..bookings.models import Booking, BookingStatus
from ..courses.models import Course, TrainingSession, Venue, session_trainers
from ..extensions import db
from ..imports.services import import_files
from ..types import utcnow
from . import data
from .plan import Plan, build

ROLES = ("admin", "coordinator", "trainer", "agency_manager", "practitioner")
RECORD_HOURS = {1: Decimal("2"), 2: Decimal("6.5"), 3: Decimal("7")}


class DemoError(RuntimeError):
    """The demo data set cannot be loaded here."""


def database_is_empty() -> bool:
    """True when there are no agencies, people, courses or sessions."""
    return all(
        db.session.scalar(select(model.id).limit(1)) is None
        for model in (Agency, Person, Course, TrainingSession)
    )


def load() -> list[tuple[str, str, str]]:
    """Load the demo data set and commit. Returns (role, e-mail, password)
    for one demo account per role. The password is ``DEMO_PASSWORD`` when
    that environment variable is set, else a new random one per account."""
    if not database_is_empty():
        raise DemoError("the database already holds data; demo data needs an empty one")
    plan = build(date.today())
    import_files(csv_files(plan))
    passwords = _passwords()
    _add_details(plan, passwords)
    return [(role, plan.accounts[role].email, passwords[role]) for role in ROLES]


def _passwords() -> dict[str, str]:
    """DEMO_PASSWORD as given (whoever sets it chose it for a demo; a weak
    one gets a warning, not a failed `make run`), else a random one each."""
    fixed = os.environ.get("DEMO_PASSWORD")
    if fixed:
        problem = password_problem(fixed)
        if problem:
            current_app.logger.warning("DEMO_PASSWORD is weak (%s): use it for demos only", problem)
    return {role: fixed or secrets.token_urlsafe(16) for role in ROLES}


def demo_accounts() -> list[tuple[str, str]]:
    """(role, e-mail) of the demo accounts already in the database."""
    people = db.session.execute(
        select(Person.role, Person.email).where(Person.email.like(f"%@{data.DEMO_DOMAIN}"))
    ).all()
    order = {role: i for i, role in enumerate(ROLES)}
    return sorted(((r.value, e) for r, e in people), key=lambda a: order.get(a[0], 99))


# -- the import files ------------------------------------------------------------

def _csv(header: tuple[str, ...], rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _blank(value) -> str:
    return "" if value is None else str(value)


def csv_files(plan: Plan) -> dict[str, bytes]:
    """The demo data set as the contract's six import files (name -> bytes)."""
    return {
        "agencies.csv": _csv(
            ("name", "sector", "compliance_target"),
            ((a.name, a.sector, a.target) for a in data.AGENCIES),
        ),
        "people.csv": _csv(
            ("email", "first_name", "last_name", "agency", "job_title", "required_level", "role"),
            ((p.email, p.first_name, p.last_name, p.agency.name, p.job_title,
              _blank(p.required_level), p.role) for p in plan.people),
        ),
        "courses.csv": _csv(
            ("code", "title", "level", "duration_days", "capacity"),
            ((c.code, c.title, _blank(c.level), c.days, c.capacity) for c in data.COURSES),
        ),
        "sessions.csv": _csv(
            ("ref", "course_code", "start_date", "end_date", "venue", "capacity", "status"),
            ((s.ref, s.course.code, s.start_on.isoformat(), s.end_on.isoformat(), s.venue,
              s.capacity, s.status) for s in plan.sessions),
        ),
        "bookings.csv": _csv(
            ("session_ref", "email", "status", "attendance"),
            ((b.session.ref, b.person.email, b.status, b.attendance) for b in plan.bookings),
        ),
        "training_records.csv": _csv(
            ("email", "level", "completed_on", "provider", "title"),
            ((r.person.email, r.level, r.completed_on.isoformat(), r.provider, r.title)
             for r in plan.records),
        ),
    }


# -- what the files cannot say -----------------------------------------------------

def _add_details(plan: Plan, passwords: dict[str, str]) -> None:
    venues = {v.name: v for v in data.VENUES}
    for venue in db.session.scalars(select(Venue)):
        spec = venues[venue.name]
        venue.address, venue.accessibility_notes, venue.capacity = (
            spec.address, spec.accessibility, spec.capacity)
    courses = {c.code: c for c in data.COURSES}
    for course in db.session.scalars(select(Course)):
        spec = courses[course.code]
        course.description, course.learning_hours = spec.description, Decimal(spec.hours)
    approval = {a.name for a in data.AGENCIES if a.needs_approval}
    for agency in db.session.scalars(select(Agency).where(Agency.name.in_(approval))):
        agency.requires_booking_approval = True

    trainer_emails = {t.email for s in plan.sessions for t in s.trainers}
    people = dict(db.session.execute(
        select(Person.email, Person.id).where(Person.email.in_(trainer_emails))).all())
    sessions = {ref: (sid, start) for sid, ref, start in db.session.execute(
        select(TrainingSession.id, TrainingSession.ref, TrainingSession.start_on))}
    db.session.execute(insert(session_trainers), [
        {"session_id": sessions[s.ref][0], "person_id": people[t.email]}
        for s in plan.sessions for t in s.trainers
    ])

    now = utcnow()
    for role, person in plan.accounts.items():
        account = db.session.scalar(select(Person).where(Person.email == person.email))
        account.password_hash = hash_password(passwords[role])
        account.email_confirmed_at = now
    _backdate(now, {sid: start for sid, start in sessions.values()})
    db.session.execute(update(TrainingRecord), [
        {"id": rid, "hours": RECORD_HOURS[level]}
        for rid, level in db.session.execute(select(TrainingRecord.id, TrainingRecord.level))
    ])
    audit.record("demo_data_loaded", accounts=[p.email for p in plan.accounts.values()])
    db.session.commit()


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _backdate(now: datetime, starts: dict[int, date]) -> None:
    """Give sessions and bookings believable creation and cancellation
    times instead of the moment of the import: places booked some weeks
    ahead, cancellations before the cut-off, late ones the day before."""
    today = now.date()
    db.session.execute(update(TrainingSession), [
        {"id": sid, "created_at": min(_at(start - timedelta(days=120)), now - timedelta(days=60))}
        for sid, start in starts.items()
    ])
    rows = []
    for bid, sid, status in db.session.execute(
            select(Booking.id, Booking.session_id, Booking.status)):
        start, spread = starts[sid], 14 + (bid * 7) % 40
        if start <= today:
            created = _at(start - timedelta(days=spread), 9 + bid % 8)
            cancelled = {BookingStatus.CANCELLED: _at(start - timedelta(days=5)),
                         BookingStatus.LATE_CANCELLED: _at(start - timedelta(days=1))}.get(status)
        elif status is BookingStatus.WAITLISTED:
            created = now - timedelta(days=1, hours=bid % 8)
        else:
            created = now - timedelta(days=spread - 12, hours=bid % 8)
            cancelled = now - timedelta(hours=2) if status is BookingStatus.CANCELLED else None
        rows.append({"id": bid, "created_at": created, "cancelled_at": cancelled,
                     "updated_at": cancelled or created})
    db.session.execute(update(Booking), rows)
