"""Small factory functions: arrange exactly the rows a test talks about."""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from trainingapp.agencies.models import Agency, Person, Role, Sector
from trainingapp.attendance.models import TrainingRecord
from trainingapp.bookings.models import Attendance, Booking, BookingStatus
from trainingapp.courses.models import Course, SessionStatus, TrainingSession
from trainingapp.extensions import db

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    """One scrypt hash of PASSWORD for the whole run (hashing is slow on purpose)."""
    if not _PASSWORD_HASH:
        from trainingapp.accounts.services import hash_password

        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


def make_sector(name: str = "Health") -> Sector:
    sector = db.session.scalar(select(Sector).where(Sector.name == name))
    if sector is None:
        sector = Sector(name=name)
        db.session.add(sector)
        db.session.flush()
    return sector


def make_agency(name: str | None = None, sector: str = "Health", target=None) -> Agency:
    agency = Agency(
        name=name or f"Agency {next(_seq)}",
        sector=make_sector(sector),
        compliance_target=None if target is None else Decimal(str(target)),
    )
    db.session.add(agency)
    db.session.flush()
    return agency


def make_person(agency: Agency | None = None, email: str | None = None, required_level=None,
                first_name: str = "Pat", last_name: str | None = None,
                role: Role = Role.PRACTITIONER) -> Person:
    n = next(_seq)
    person = Person(
        email=email or f"person{n}@example.org",
        first_name=first_name,
        last_name=last_name or f"Person{n}",
        agency=agency if agency is not None else make_agency(),
        required_level=required_level,
        role=role,
    )
    db.session.add(person)
    db.session.flush()
    return person


def make_course(code: str | None = None, title: str = "A course", level=None,
                duration_days: int = 1) -> Course:
    course = Course(code=code or f"C{next(_seq)}", title=title, level=level,
                    duration_days=duration_days)
    db.session.add(course)
    db.session.flush()
    return course


def make_session(course: Course | None = None, start_on: date = date(2011, 6, 1),
                 end_on: date | None = None, capacity: int = 10,
                 status: SessionStatus = SessionStatus.COMPLETED, ref: str | None = None
                 ) -> TrainingSession:
    session = TrainingSession(
        ref=ref or f"S{next(_seq)}",
        course=course or make_course(),
        start_on=start_on,
        end_on=end_on or start_on,
        capacity=capacity,
        status=status,
    )
    db.session.add(session)
    db.session.flush()
    return session


def make_booking(session: TrainingSession, person: Person | None = None,
                 status: BookingStatus = BookingStatus.CONFIRMED,
                 attendance: Attendance | None = None, agency: Agency | None = None,
                 waitlist_order: int | None = None) -> Booking:
    person = person or make_person()
    booking = Booking(session=session, person=person, agency=agency or person.agency,
                      status=status, attendance=attendance, waitlist_order=waitlist_order)
    db.session.add(booking)
    db.session.flush()
    return booking


def attended(session: TrainingSession, person: Person | None = None, **kwargs) -> Booking:
    return make_booking(session, person, attendance=Attendance.ATTENDED, **kwargs)


def make_record(person: Person, level: int, completed_on: date, **kwargs) -> TrainingRecord:
    record = TrainingRecord(person=person, level=level, completed_on=completed_on, **kwargs)
    db.session.add(record)
    db.session.flush()
    return record


def make_user(role: Role = Role.PRACTITIONER, agency: Agency | None = None, **kwargs) -> Person:
    """A person who can sign in with PASSWORD."""
    import secrets

    from trainingapp.types import utcnow

    person = make_person(agency, role=role, **kwargs)
    person.password_hash = password_hash()
    person.email_confirmed_at = utcnow()
    person.session_token = secrets.token_urlsafe(16)
    db.session.flush()
    return person


def login_as(client, person: Person) -> None:
    """Sign in without the form (the login journey has tests of its own)."""
    with client.session_transaction() as session:
        session["_user_id"] = person.session_token
        session["_fresh"] = True
