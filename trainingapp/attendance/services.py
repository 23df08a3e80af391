"""Registers and required levels: the use cases that change data.

Taking a register records, for each confirmed booking of a session, whether
the person attended, attended part, or did not attend (``Booking.attendance``).
A register can be taken from the session's first day on, never for a
cancelled session, and can be corrected later (also once the session is
run). Every change of a mark is audited (``register_marked``).

*Marking the session as run* is explicit: the person taking the register
ticks "All delegates are marked: mark the session as run", which is only
accepted once every confirmed booking has a mark and the session's last day
has come. The session becomes ``completed``; only then do its attended
bookings count in the reports and towards compliance (contract section 5).
It is not automatic, because a register is often saved part-way through a
course, and a session must not become "run" behind the trainer's back.

A person newly marked ``did_not_attend`` is e-mailed ("we missed you", with
a link to book again) and, where their agency approves bookings, the
agency's managers get a copy (``bookings.notices``). Mail is queued in the
same transaction as the marks; the view sends it after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit
from ..agencies.models import Person
from ..bookings.models import ACTIVE_STATUSES, Attendance, Booking, BookingStatus
from ..bookings.notices import copy_managers
from ..bookings.services import BookingError, lock_session
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..mail.services import queue_mail
from ..types import uk_today
from .models import TrainingRecord

NOT_ATTENDED_TEMPLATE = "booking_not_attended"


class RegisterError(Exception):
    """The register cannot be taken or saved. ``code`` is stable for tests;
    ``status`` is the HTTP status a view should answer with."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def why_no_register(session: TrainingSession, today: date | None = None) -> RegisterError | None:
    """Why the session's register cannot be taken now, or None."""
    today = today or uk_today()
    if session.status is SessionStatus.CANCELLED:
        return RegisterError("This session was cancelled, so it has no register.", "cancelled")
    if session.start_on > today:
        return RegisterError(
            f"You can take the register from the first day of the session, "
            f"{session.start_on.day} {session.start_on:%B %Y}.", "not_started")
    return None


def can_mark_run(session: TrainingSession, today: date | None = None) -> bool:
    """Whether the session may be marked as run now (once every delegate
    is marked): it is still scheduled and its last day has come."""
    return session.status is SessionStatus.SCHEDULED and session.end_on <= (today or uk_today())


def delegates(session_id: int) -> list[Booking]:
    """The register: the session's confirmed bookings with their people, by
    last name then first name (one statement)."""
    return list(db.session.scalars(
        select(Booking).join(Booking.person)
        .options(contains_eager(Booking.person), joinedload(Booking.agency))
        .where(Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name), Booking.id)))


@dataclass
class RegisterResult:
    changed: int = 0
    not_attended: list[Booking] = field(default_factory=list)  # newly marked did_not_attend
    marked_run: bool = False


def take_register(session_id: int, marks: dict[int, Attendance], actor: Person,
                  mark_run: bool = False, today: date | None = None) -> RegisterResult:
    """Record ``marks`` (booking id -> attendance) for the session's
    confirmed bookings, and mark the session as run when asked, in one
    transaction under the session's lock. A booking left out keeps its mark.
    Raises RegisterError, having written nothing, when the register cannot
    be taken, a mark is for a booking that is not on this register, or the
    session cannot be marked as run."""
    today = today or uk_today()
    try:
        session = lock_session(session_id)
    except BookingError as error:
        raise RegisterError(error.message, error.code, error.status) from None
    problem = why_no_register(session, today)
    if problem:
        raise problem
    bookings = {b.id: b for b in delegates(session.id)}
    unknown = set(marks) - set(bookings)
    if unknown:
        raise RegisterError("Someone on the form is no longer booked on this session. "
                            "Refresh the page and try again.", "not_on_register")
    if mark_run:
        if not can_mark_run(session, today):
            raise RegisterError(
                "This session cannot be marked as run yet: its last day is "
                f"{session.end_on.day} {session.end_on:%B %Y}." if session.status is
                SessionStatus.SCHEDULED else "This session is already marked as run.",
                "cannot_mark_run")
        unmarked = [b for b in bookings.values() if marks.get(b.id, b.attendance) is None]
        if unmarked:
            raise RegisterError(
                "Mark every delegate before marking the session as run "
                f"({len(unmarked)} not marked yet).", "unmarked")
    result = RegisterResult()
    for booking_id, mark in marks.items():
        booking = bookings[booking_id]
        if booking.attendance is mark:
            continue
        previous = booking.attendance
        booking.attendance = mark
        result.changed += 1
        audit.record("register_marked", actor_id=actor.id, agency_id=booking.agency_id,
                     target_type="booking", target_id=booking.id, session=session.ref,
                     attendance=mark.value, previous=previous.value if previous else None)
        if mark is Attendance.DID_NOT_ATTEND:
            _tell_not_attended(booking, session)
            result.not_attended.append(booking)
    if mark_run:
        session.status = SessionStatus.COMPLETED
        result.marked_run = True
        audit.record("session_completed", actor_id=actor.id, target_type="training_session",
                     target_id=session.id, session=session.ref, delegates=len(bookings))
    db.session.commit()
    return result


def _tell_not_attended(booking: Booking, session: TrainingSession) -> None:
    """Queue "we missed you" for the person (with a link to the course's
    sessions to book again) and, per ``bookings.notices``, their managers'
    copy. The caller commits."""
    person = booking.person
    course = session.course
    queue_mail(person.email, NOT_ATTENDED_TEMPLATE, f"We missed you: {course.title}",
               person=person, booking=booking, session=session,
               rebook_url=url_for("programme.index", course=course.code.lower(), _external=True))
    copy_managers(booking, NOT_ATTENDED_TEMPLATE)


# -- walk-ins ----------------------------------------------------------------------------

def add_walk_in(session_id: int, email: str, actor: Person, today: date | None = None) -> Booking:
    """Put someone who came without a place on the register: a ``confirmed``
    booking (source ``walk_in``) under their current agency, even beyond
    capacity (contract section 4: historic confirmed bookings may exceed
    it). Someone on the waiting list has their booking confirmed instead.
    Only while the register can be taken; the person must have an account
    (looked up by e-mail) and an agency."""
    today = today or uk_today()
    try:
        session = lock_session(session_id)
    except BookingError as error:
        raise RegisterError(error.message, error.code, error.status) from None
    problem = why_no_register(session, today)
    if problem:
        raise problem
    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise RegisterError("Nobody has that e-mail address. Check it, or ask them to "
                            "create an account first.", "no_person", 404)
    if person.agency_id is None:
        raise RegisterError(f"{person.full_name} has no agency: add one before adding them.",
                            "no_agency")
    booking = db.session.scalar(
        select(Booking).where(Booking.session_id == session.id, Booking.person_id == person.id,
                              Booking.status.in_(ACTIVE_STATUSES)))
    if booking is not None and booking.status is BookingStatus.CONFIRMED:
        raise RegisterError(f"{person.full_name} is already on the register.", "already_booked")
    if booking is not None:
        booking.status, booking.waitlist_order = BookingStatus.CONFIRMED, None
    else:
        booking = Booking(session_id=session.id, person_id=person.id, agency_id=person.agency_id,
                          status=BookingStatus.CONFIRMED, booked_by_id=actor.id, source="walk_in")
        db.session.add(booking)
        db.session.flush()
    audit.record("walk_in_added", actor_id=actor.id, agency_id=booking.agency_id,
                 target_type="booking", target_id=booking.id, session=session.ref)
    db.session.commit()
    return booking


# -- required levels ---------------------------------------------------------------------

def set_required_level(person: Person, level: int | None, actor: Person) -> bool:
    """Set the intercollegiate level (1-3, or None) the person's role needs,
    which decides whether the compliance report counts them and against
    what. Audited (``required_level_changed``); returns whether it changed."""
    if person.required_level == level:
        return False
    previous = person.required_level
    person.required_level = level
    audit.record("required_level_changed", actor_id=actor.id, agency_id=person.agency_id,
                 target_type="person", target_id=person.id, previous=previous, level=level)
    db.session.commit()
    return True


# -- a person's training record (reads) ------------------------------------------------

def attended_bookings(person_id: int) -> list[Booking]:
    """The sessions the person attended: their ``attended`` confirmed
    bookings on run (completed) sessions, any course, latest first. These
    are the bookings that have a certificate."""
    return list(db.session.scalars(
        select(Booking).join(Booking.session)
        .options(contains_eager(Booking.session).joinedload(TrainingSession.course))
        .where(Booking.person_id == person_id, Booking.status == BookingStatus.CONFIRMED,
               Booking.attendance == Attendance.ATTENDED,
               TrainingSession.status == SessionStatus.COMPLETED)
        .order_by(TrainingSession.end_on.desc(), TrainingSession.id.desc())))


def training_records(person_id: int) -> list[TrainingRecord]:
    """Training done outside the programme (imported, e-learning), latest first."""
    return list(db.session.scalars(
        select(TrainingRecord).where(TrainingRecord.person_id == person_id)
        .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())))


def certificate_booking(booking_id: int) -> Booking | None:
    """The booking if it earns a certificate (attended, confirmed, on a run
    session), else None."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status is not BookingStatus.CONFIRMED \
            or booking.attendance is not Attendance.ATTENDED \
            or booking.session.status is not SessionStatus.COMPLETED:
        return None
    return booking
