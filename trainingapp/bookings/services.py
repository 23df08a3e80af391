"""Booking use cases: book, cancel, promote from the waiting list, pass a
place to a colleague (substitute).

The rules are contract section 3. Every use case here that changes places
runs under the session's lock, re-reads capacity and bookings after taking
it, and commits once; e-mail is queued in the same transaction and sent
after commit by the caller (``send_after_commit``).

The lock: on PostgreSQL ``SELECT ... FOR UPDATE`` on the session row, so
concurrent bookings of one session queue behind each other while other
sessions are untouched. On SQLite every transaction already begins with
``BEGIN IMMEDIATE`` (see ``trainingapp/database.py``), which serialises
writers. Measured alternatives are in shared/reliability.md.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, url_for
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..agencies.models import Person
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..mail.services import queue_mail
from ..types import uk_today, utcnow
from .models import ACTIVE_STATUSES, Attendance, Booking, BookingStatus
from .notices import copy_managers


class BookingError(Exception):
    """A booking rule said no. ``code`` is stable for tests and callers;
    ``status`` is the HTTP status a view should answer with."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


# -- the lock ------------------------------------------------------------------------

def lock_session(session_id: int) -> TrainingSession:
    """Take the session's lock for the rest of this transaction and return
    the session as it is now (never a stale copy)."""
    statement = select(TrainingSession).where(TrainingSession.id == session_id)
    if current_app.config.get("BOOKING_LOCKS", True):
        statement = statement.with_for_update()  # no-op on SQLite: BEGIN IMMEDIATE holds it
    session = db.session.scalars(statement.execution_options(populate_existing=True)).one_or_none()
    if session is None:
        raise BookingError("This session does not exist.", "no_session", 404)
    return session


def _unsafe_race_window() -> None:
    """Test-only control (config ``BOOKING_LOCKS = False``): behave like a
    naive implementation that checks availability in one transaction and
    writes in another, so the race test can prove it sees a race."""
    db.session.commit()
    time.sleep(current_app.config.get("BOOKING_RACE_DELAY", 0.05))


# -- counts and checks --------------------------------------------------------------

@dataclass(frozen=True)
class Places:
    capacity: int
    confirmed: int
    waiting: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.confirmed, 0)


def places(session: TrainingSession) -> Places:
    confirmed, waiting = db.session.execute(
        select(
            func.coalesce(func.sum(case((Booking.status == BookingStatus.CONFIRMED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Booking.status == BookingStatus.WAITLISTED, 1), else_=0)), 0),
        ).where(Booking.session_id == session.id)
    ).one()
    return Places(session.capacity, int(confirmed), int(waiting))


def booking_closes_on(session: TrainingSession) -> date:
    """The last day a place can be booked: the session's own closing date,
    else the day before it starts."""
    return session.booking_closes_on or session.start_on - timedelta(days=1)


def why_not_bookable(session: TrainingSession, today: date | None = None) -> BookingError | None:
    """Why nobody can book this session now, or None."""
    today = today or uk_today()
    if session.status is SessionStatus.CANCELLED:
        return BookingError("This session has been cancelled.", "cancelled", 409)
    if session.status is SessionStatus.COMPLETED or session.start_on <= today:
        return BookingError("This session has already started or taken place.", "past", 409)
    if session.booking_opens_on and today < session.booking_opens_on:
        return BookingError(
            f"Booking opens on {session.booking_opens_on:%-d %B %Y}.", "not_open", 409)
    if today > booking_closes_on(session):
        return BookingError("Booking for this session has closed.", "closed", 409)
    return None


def active_booking(session_id: int, person_id: int) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(Booking.session_id == session_id, Booking.person_id == person_id,
                              Booking.status.in_(ACTIVE_STATUSES)))


def missing_prerequisites(session: TrainingSession, person: Person) -> list[str]:
    """Titles of the course's prerequisites the person has not attended."""
    required = session.course.prerequisites
    if not required:
        return []
    done = set(db.session.scalars(
        select(TrainingSession.course_id)
        .join(Booking, Booking.session_id == TrainingSession.id)
        .where(Booking.person_id == person.id, Booking.status == BookingStatus.CONFIRMED,
               Booking.attendance == Attendance.ATTENDED,
               TrainingSession.status == SessionStatus.COMPLETED)))
    return [course.title for course in required if course.id not in done]


def _agency_confirmed(session_id: int, agency_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Booking)
        .where(Booking.session_id == session_id, Booking.agency_id == agency_id,
               Booking.status == BookingStatus.CONFIRMED))


def _waiting_who_could_take_a_place(session: TrainingSession) -> int:
    """Waiting bookings that a free place would go to: all of them, except
    those of an agency already at the session's agency cap (they keep their
    turn for when their agency has room). While any of them waits, a
    newcomer is waitlisted; a place nobody waiting may take goes to the
    newcomer."""
    waiting = select(Booking).where(Booking.session_id == session.id,
                                    Booking.status == BookingStatus.WAITLISTED)
    if session.agency_cap is not None:
        confirmed_by_agency = (
            select(Booking.agency_id, func.count().label("confirmed"))
            .where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
            .group_by(Booking.agency_id).subquery())
        waiting = waiting.outerjoin(confirmed_by_agency,
                                    confirmed_by_agency.c.agency_id == Booking.agency_id).where(
            func.coalesce(confirmed_by_agency.c.confirmed, 0) < session.agency_cap)
    return db.session.scalar(select(func.count()).select_from(waiting.subquery()))


def _next_waitlist_order(session_id: int) -> int:
    current = db.session.scalar(
        select(func.max(Booking.waitlist_order)).where(Booking.session_id == session_id))
    return (current or 0) + 1


# -- use cases ------------------------------------------------------------------------

def book(session_id: int, person: Person, actor: Person | None = None) -> Booking:
    """Book ``person`` on the session: ``confirmed`` while a place is free
    and nobody is waiting, else ``waitlisted`` (when the list is open).
    Raises BookingError, having written nothing, when booking is not
    possible."""
    actor = actor or person
    session = lock_session(session_id)
    booking = take_place(session, person, actor)
    db.session.commit()
    return booking


def check_may_book(session: TrainingSession, person: Person, actor: Person) -> None:
    """What every way of asking for a place checks first (booking, and a
    request for approval): the session takes bookings now, the person has
    an agency, holds no active booking here and has the prerequisites.
    Raises BookingError."""
    problem = why_not_bookable(session)
    if problem:
        raise problem
    if person.agency_id is None:
        raise BookingError("Add your agency to your account before booking."
                           if person.id == actor.id else
                           f"{person.full_name} has no agency: add one before booking.",
                           "no_agency", 409)
    if active_booking(session.id, person.id) is not None:
        raise BookingError(f"{_who(person, actor)} already booked on this session.",
                           "already_booked", 409)
    missing = missing_prerequisites(session, person)
    if missing:
        raise BookingError("This course needs " + ", ".join(missing) + " first.",
                           "prerequisite_missing", 409)


def take_place(session: TrainingSession, person: Person, actor: Person, source: str = "web",
               tell: bool = True) -> Booking:
    """The rules of ``book`` for a session whose lock the caller holds:
    check, write the booking, audit it and (when ``tell``) queue its e-mail.
    The caller commits, so a use case can book as one step of a larger
    transaction (moving a booking to another session)."""
    check_may_book(session, person, actor)
    now = places(session)
    at_agency_cap = (session.agency_cap is not None
                     and _agency_confirmed(session.id, person.agency_id) >= session.agency_cap)
    if now.free > 0 and not at_agency_cap and _waiting_who_could_take_a_place(session) == 0:
        status = BookingStatus.CONFIRMED
    elif session.is_waitlist_open:
        status = BookingStatus.WAITLISTED
    else:
        raise BookingError("This session is full and its waiting list is closed.", "full", 409)
    if not current_app.config.get("BOOKING_LOCKS", True):
        _unsafe_race_window()
    booking = Booking(
        session_id=session.id, person_id=person.id, agency_id=person.agency_id, status=status,
        waitlist_order=_next_waitlist_order(session.id) if status is BookingStatus.WAITLISTED else None,
        booked_by_id=actor.id, source=source,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:
        # The one-active-booking index: a double submit that slipped past
        # the check (only possible without the lock).
        db.session.rollback()
        raise BookingError(f"{_who(person, actor)} already booked on this session.",
                           "already_booked", 409) from None
    audit.record("book", actor_id=actor.id, agency_id=person.agency_id, target_type="booking",
                 target_id=booking.id, session=session.ref, status=status.value)
    if tell:
        _tell(booking, "booking_confirmed" if status is BookingStatus.CONFIRMED
              else "booking_waitlisted")
    return booking


def waitlist_position(booking: Booking) -> int | None:
    """1 for the next person to be promoted, 2 for the one after, ..."""
    if booking.status is not BookingStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Booking)
        .where(Booking.session_id == booking.session_id,
               Booking.status == BookingStatus.WAITLISTED,
               (Booking.waitlist_order < booking.waitlist_order)
               | ((Booking.waitlist_order == booking.waitlist_order) & (Booking.id < booking.id))))
    return ahead + 1


def is_late(session: TrainingSession, today: date | None = None) -> bool:
    """Cancelling after the cut-off day counts as a late cancellation."""
    return (today or uk_today()) > session.cutoff_on


def cancel(booking_id: int, actor: Person, reason: str | None = None) -> Booking:
    """Give up a place or a place in the queue. Before the session's cut-off
    it is ``cancelled``, after it ``late_cancelled``. The freed place goes
    at once to the earliest waiting person, in the same transaction."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("This booking does not exist.", "no_booking", 404)
    session = lock_session(booking.session_id)
    db.session.refresh(booking)
    if not booking.is_active:
        raise BookingError("This booking is already cancelled.", "already_cancelled", 409)
    if session.status is not SessionStatus.SCHEDULED or session.start_on <= uk_today():
        raise BookingError("This session has already started or taken place.", "past", 409)
    booking.status = BookingStatus.LATE_CANCELLED if is_late(session) else BookingStatus.CANCELLED
    booking.waitlist_order = None
    booking.cancelled_at = utcnow()
    booking.cancel_reason = (reason or "").strip()[:2000] or None
    audit.record("cancel", actor_id=actor.id, agency_id=booking.agency_id, target_type="booking",
                 target_id=booking.id, session=session.ref, status=booking.status.value)
    _tell(booking, "booking_cancelled")
    db.session.flush()
    fill_from_waitlist(session)
    db.session.commit()
    return booking


def substitute(booking_id: int, colleague: Person, actor: Person) -> Booking:
    """Pass a confirmed place to a colleague from the same agency (the
    booked person's current agency). The original booking becomes
    ``cancelled`` (never ``late_cancelled``: the place is not lost to the
    board) and the colleague gets a ``confirmed`` booking, in one
    transaction under the session's lock; the waiting list is untouched and
    the confirmed count does not change. Only for scheduled sessions that
    have not started. Returns the colleague's booking."""
    original = db.session.get(Booking, booking_id)
    if original is None:
        raise BookingError("This booking does not exist.", "no_booking", 404)
    session = lock_session(original.session_id)
    db.session.refresh(original)
    if original.status is not BookingStatus.CONFIRMED:
        raise BookingError("Only a confirmed place can be passed to a colleague.",
                           "not_confirmed", 409)
    if session.status is not SessionStatus.SCHEDULED or session.start_on <= uk_today():
        raise BookingError("This session has already started or taken place.", "past", 409)
    person = db.session.get(Person, original.person_id)
    if colleague.id == person.id or colleague.agency_id is None \
            or colleague.agency_id != person.agency_id or not colleague.is_active:
        raise BookingError("Choose a colleague from the same agency.", "not_colleague", 409)
    if active_booking(session.id, colleague.id) is not None:
        raise BookingError(f"{colleague.full_name} is already booked on this session.",
                           "already_booked", 409)
    missing = missing_prerequisites(session, colleague)
    if missing:
        raise BookingError(f"{colleague.full_name} needs " + ", ".join(missing) + " first.",
                           "prerequisite_missing", 409)
    if session.agency_cap is not None and original.agency_id != colleague.agency_id and \
            _agency_confirmed(session.id, colleague.agency_id) >= session.agency_cap:
        # Booked under a former agency: the place would move to one at its cap.
        raise BookingError("Your agency already has as many places as this session allows.",
                           "agency_cap", 409)
    original.status = BookingStatus.CANCELLED
    original.cancelled_at = utcnow()
    original.cancel_reason = f"Substituted by {colleague.full_name}"
    db.session.flush()  # the original leaves the one-active-booking index first
    replacement = Booking(session_id=session.id, person_id=colleague.id,
                          agency_id=colleague.agency_id, status=BookingStatus.CONFIRMED,
                          booked_by_id=actor.id, source="substitute")
    db.session.add(replacement)
    db.session.flush()
    audit.record("substitute", actor_id=actor.id, agency_id=colleague.agency_id,
                 target_type="booking", target_id=replacement.id, session=session.ref,
                 replaces=original.id)
    _tell(original, "booking_substituted")
    _tell(replacement, "booking_confirmed")
    db.session.commit()
    return replacement


def fill_from_waitlist(session: TrainingSession) -> list[Booking]:
    """Promote the earliest waiting bookings into free places (the caller
    holds the session's lock and commits). A waiting booking whose agency is
    at the session's agency cap is passed over, keeping its position."""
    now = places(session)
    promoted: list[Booking] = []
    if now.free <= 0 or now.waiting == 0 or session.status is not SessionStatus.SCHEDULED:
        return promoted
    waiting = db.session.scalars(
        select(Booking).where(Booking.session_id == session.id,
                              Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlist_order, Booking.id)).all()
    free = now.free
    for booking in waiting:
        if free == 0:
            break
        if session.agency_cap is not None and \
                _agency_confirmed(session.id, booking.agency_id) >= session.agency_cap:
            continue
        booking.status = BookingStatus.CONFIRMED
        booking.waitlist_order = None
        booking.promoted_at = utcnow()
        db.session.flush()
        audit.record("promote", agency_id=booking.agency_id, target_type="booking",
                     target_id=booking.id, session=session.ref)
        _tell(booking, "booking_promoted")
        promoted.append(booking)
        free -= 1
    return promoted


# -- e-mail ------------------------------------------------------------------------

SUBJECTS = {
    "booking_confirmed": "Your place is confirmed: {title}",
    "booking_waitlisted": "You are on the waiting list: {title}",
    "booking_promoted": "A place has come up for you: {title}",
    "booking_cancelled": "Your booking is cancelled: {title}",
    "booking_substituted": "Your place has been passed to a colleague: {title}",
    "booking_reminder": "Reminder: {title} is coming up",
    "session_changed": "Session details have changed: {title}",
    "booking_moved": "Your booking has moved: {title}",
}


def _invite(booking: Booking, session: TrainingSession, person: Person) -> str | None:
    """The calendar object for a booking's e-mail: an invitation while the
    person holds a place, a cancellation (same UID) once they do not; none
    for a place on the waiting list."""
    from ..programme.calendar import session_ics

    if booking.status is BookingStatus.CONFIRMED:
        return session_ics(session, "REQUEST", person.email, attendee_name=person.full_name,
                           show_online_url=True)
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED):
        return session_ics(session, "CANCEL", person.email, attendee_name=person.full_name)
    return None


def _tell(booking: Booking, template: str, *, copy_to_managers: bool = True, **context) -> None:
    session = db.session.get(TrainingSession, booking.session_id)
    person = db.session.get(Person, booking.person_id)
    queue_mail(person.email, template, SUBJECTS[template].format(title=session.course.title),
               ics=_invite(booking, session, person),
               person=person, booking=booking, session=session,
               position=waitlist_position(booking) if booking.status is BookingStatus.WAITLISTED else None,
               session_url=url_for("programme.session", ref=session.ref, _external=True), **context)
    if copy_to_managers:
        copy_managers(booking, template)  # agencies that approve bookings: managers get a copy


def tell_session_changed(session: TrainingSession) -> int:
    """Tell everyone booked or waiting that the session's days, times,
    venue or joining details changed (the caller commits). Confirmed
    delegates get an updated invitation (same UID, higher SEQUENCE)."""
    bookings = db.session.scalars(
        select(Booking).where(Booking.session_id == session.id,
                              Booking.status.in_(ACTIVE_STATUSES)).order_by(Booking.id)).all()
    for booking in bookings:
        _tell(booking, "session_changed")
    return len(bookings)


def _who(person: Person, actor: Person) -> str:
    return "You are" if person.id == actor.id else f"{person.full_name} is"


# -- reminders ---------------------------------------------------------------------

def send_reminders(days_before: int, today: date | None = None) -> int:
    """Queue a reminder for every confirmed booking on a scheduled session
    that starts within ``days_before`` days and has not been reminded yet.
    Safe to run twice (or from two cron jobs at once): each booking is
    marked in the same transaction as its e-mail, under BEGIN IMMEDIATE /
    row locks. Returns how many reminders were queued."""
    today = today or uk_today()
    last_day = today + timedelta(days=days_before)
    statement = (
        select(Booking)
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(Booking.status == BookingStatus.CONFIRMED, Booking.reminder_sent_at.is_(None),
               TrainingSession.status == SessionStatus.SCHEDULED,
               TrainingSession.start_on > today, TrainingSession.start_on <= last_day)
        .order_by(Booking.id)
    )
    if current_app.config.get("BOOKING_LOCKS", True):
        statement = statement.with_for_update(of=Booking, skip_locked=True)
    bookings = db.session.scalars(statement).all()
    for booking in bookings:
        booking.reminder_sent_at = utcnow()
        _tell(booking, "booking_reminder")
    db.session.commit()
    return len(bookings)
