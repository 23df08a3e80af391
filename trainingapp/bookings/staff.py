"""An agency manager's staff and their bookings.

*Staff* are the people whose current agency is the manager's (active
accounts or not: imported staff without a login are booked by their
manager). Booking several of them at once books each in turn through
``services.book``, each in its own transaction, so one refusal never
undoes the others; managers book without needing approval.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from .. import audit
from ..agencies.models import Person
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..types import uk_today
from .models import ACTIVE_STATUSES, Booking, BookingStatus
from .services import BookingError, book, cancel, waitlist_position

RECENT_DAYS = 90  # "recent" bookings: sessions that ended this many days ago at most


def staff(agency_id: int, query: str = "") -> list[Person]:
    """The agency's active staff, by surname, optionally those whose name or
    e-mail contains ``query``."""
    statement = select(Person).where(Person.agency_id == agency_id, Person.is_active.is_(True))
    query = query.strip().lower()
    if query:
        like = f"%{query}%"
        statement = statement.where(or_(
            func.lower(Person.email).like(like),
            func.lower(Person.first_name + " " + Person.last_name).like(like)))
    return list(db.session.scalars(
        statement.order_by(func.lower(Person.last_name), func.lower(Person.first_name), Person.id)))


def staff_member(agency_id: int, person_id: int) -> Person | None:
    """One active member of the agency's staff, or None."""
    person = db.session.get(Person, person_id)
    if person is None or person.agency_id != agency_id or not person.is_active:
        return None
    return person


@dataclass(frozen=True)
class Outcome:
    """What booking one person gave: ``confirmed``, ``waitlisted`` (with
    ``position``) or ``refused`` (with ``message`` and ``code``)."""

    person: Person
    status: str
    position: int | None = None
    message: str = ""
    code: str = ""
    booking_id: int | None = None


def book_many(session_id: int, people: list[Person], actor: Person) -> list[Outcome]:
    """Book each person in turn, each in its own transaction."""
    outcomes = []
    for person in people:
        try:
            booking = book(session_id, person, actor=actor)
        except BookingError as error:
            db.session.rollback()  # end this person's transaction (and its lock)
            outcomes.append(Outcome(person, "refused", message=error.message, code=error.code))
            continue
        position = waitlist_position(booking)
        outcomes.append(Outcome(person, booking.status.value, position, booking_id=booking.id))
    return outcomes


@dataclass(frozen=True)
class StaffBooking:
    booking: Booking
    position: int | None  # place on the waiting list, 1 = next to be promoted

    @property
    def can_change(self) -> bool:
        """Can still be cancelled or passed on (scheduled, not started)."""
        session = self.booking.session
        return (self.booking.is_active and session.status is SessionStatus.SCHEDULED
                and session.start_on > uk_today())


def staff_bookings(agency_id: int, today: date | None = None) -> tuple[list[StaffBooking],
                                                                        list[StaffBooking]]:
    """The agency's staff's bookings (any status) on sessions still to come
    and on those that ended in the last RECENT_DAYS days: ``(upcoming,
    recent)``, upcoming soonest first, recent latest first.

    One statement: waiting-list positions come from a window function over
    every waiting booking of the sessions concerned (other agencies' people
    count towards a position but are never returned)."""
    today = today or uk_today()
    since = today - timedelta(days=RECENT_DAYS)
    theirs = aliased(Booking)
    waiting = (
        select(Booking.id.label("booking_id"),
               func.row_number().over(partition_by=Booking.session_id,
                                      order_by=(Booking.waitlist_order, Booking.id))
               .label("position"))
        .where(Booking.status == BookingStatus.WAITLISTED,
               Booking.session_id.in_(
                   select(theirs.session_id).join(Person, theirs.person_id == Person.id)
                   .where(theirs.status == BookingStatus.WAITLISTED,
                          Person.agency_id == agency_id)))
        .subquery())
    rows = db.session.execute(
        select(Booking, waiting.c.position)
        .join(Booking.person)
        .join(Booking.session)
        .outerjoin(waiting, waiting.c.booking_id == Booking.id)
        .options(contains_eager(Booking.person),
                 contains_eager(Booking.session).joinedload(TrainingSession.course))
        .where(Person.agency_id == agency_id, TrainingSession.end_on >= since)
        .order_by(TrainingSession.start_on, TrainingSession.id, func.lower(Person.last_name),
                  Person.id, Booking.id)
    ).all()
    upcoming, recent = [], []
    for booking, position in rows:
        item = StaffBooking(booking, position if booking.status is BookingStatus.WAITLISTED else None)
        session = booking.session
        if session.end_on >= today and session.status is SessionStatus.SCHEDULED:
            upcoming.append(item)
        else:
            recent.append(item)
    recent.reverse()
    return upcoming, recent


def holds_active_booking(session_id: int) -> set[int]:
    """Ids of people with an active booking on the session."""
    return set(db.session.scalars(
        select(Booking.person_id).where(Booking.session_id == session_id,
                                        Booking.status.in_(ACTIVE_STATUSES))))


def cancel_for(booking_id: int, actor: Person, reason: str | None = None) -> Booking:
    """A manager (or coordinator) cancels a staff member's booking for them:
    ``services.cancel`` with its cut-off rule, plus an audit entry saying it
    was done on their behalf, committed with the cancellation."""
    booking = db.session.get(Booking, booking_id)
    if booking is not None:
        audit.record("cancel_on_behalf", actor_id=actor.id, agency_id=booking.agency_id,
                     target_type="booking", target_id=booking.id, person_id=booking.person_id)
    try:
        return cancel(booking_id, actor, reason)
    except BookingError:
        db.session.rollback()
        raise
