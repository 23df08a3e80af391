"""The coordinator's hand on one session's bookings.

A coordinator may book anyone (no approval needed), move a booking to
another session, cancel for someone, reorder the waiting list, promote a
waiting person into a free place by hand, change the capacity, open or
close the waiting list, and e-mail everyone booked or waiting.

The booking rules are those of contract section 3 (``services``): each use
case here takes the session's lock, re-reads what it needs under it, writes,
audits and queues its e-mail in one transaction, and commits once. It
raises :class:`BookingError` (or, for the capacity, the scheduling rules'
``SchedulingError`` naming the field) having written nothing. The caller
sends the e-mail after commit (``send_after_commit``).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit
from ..agencies.models import Person
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..mail.services import queue_mail
from ..scheduling.services import Problem, SchedulingError, change_capacity
from ..types import uk_today, utcnow
from .models import ACTIVE_STATUSES, Booking, BookingStatus
from .services import (BookingError, _tell, fill_from_waitlist, lock_session, places,
                       take_place, why_not_bookable)

# Order of the booking list: places first, then the queue, then the rest.
LIST_ORDER = {BookingStatus.CONFIRMED: 0, BookingStatus.WAITLISTED: 1,
              BookingStatus.LATE_CANCELLED: 2, BookingStatus.CANCELLED: 3}
SEARCH_LIMIT = 25


# -- what the coordinator sees --------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """One booking of the session's list; ``position`` is its place on the
    waiting list (1 = promoted next), None unless waitlisted."""

    booking: Booking
    position: int | None


@dataclass(frozen=True)
class BookingList:
    confirmed: list[Listed]
    waiting: list[Listed]
    cancelled: list[Listed]


def booking_list(session_id: int) -> BookingList:
    """Every booking of the session, any status, with each person and the
    agency recorded on the booking, in one statement: confirmed by surname,
    waiting in promotion order (positions from a window function over the
    waiting bookings only), cancelled (late or not) latest first."""
    waiting = (
        select(Booking.id.label("booking_id"),
               func.row_number().over(order_by=(Booking.waitlist_order, Booking.id))
               .label("position"))
        .where(Booking.session_id == session_id, Booking.status == BookingStatus.WAITLISTED)
        .subquery())
    rows = db.session.execute(
        select(Booking, waiting.c.position)
        .join(Booking.person).join(Booking.agency)
        .outerjoin(waiting, waiting.c.booking_id == Booking.id)
        .options(contains_eager(Booking.person), contains_eager(Booking.agency))
        .where(Booking.session_id == session_id)
        .order_by(waiting.c.position, func.lower(Person.last_name), func.lower(Person.first_name),
                  Booking.id)
    ).all()
    confirmed, queue, cancelled = [], [], []
    for booking, position in rows:
        if booking.status is BookingStatus.CONFIRMED:
            confirmed.append(Listed(booking, None))
        elif booking.status is BookingStatus.WAITLISTED:
            queue.append(Listed(booking, position))
        else:
            cancelled.append(Listed(booking, None))
    cancelled.sort(key=lambda item: item.booking.cancelled_at or item.booking.created_at,
                   reverse=True)
    return BookingList(confirmed, queue, cancelled)


def find_people(query: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """Active people whose name or e-mail contains ``query`` (at least two
    characters), by surname, at most ``limit``."""
    query = " ".join(query.split()).lower()
    if len(query) < 2:
        return []
    like = f"%{query}%"
    return list(db.session.scalars(
        select(Person).options(joinedload(Person.agency))
        .where(Person.is_active.is_(True),
               or_(func.lower(Person.email).like(like),
                   func.lower(Person.first_name + " " + Person.last_name).like(like)))
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name), Person.id)
        .limit(limit)))


def move_targets(booking: Booking) -> list[tuple[TrainingSession, int]]:
    """Sessions (of any course) the booking could move to now, soonest
    first, each with its free places: scheduled, bookable today, not the
    booking's own session."""
    today = uk_today()
    sessions = [s for s in db.session.scalars(
        select(TrainingSession).join(TrainingSession.course)
        .options(contains_eager(TrainingSession.course))
        .where(TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.start_on > today,
               TrainingSession.id != booking.session_id)
        .order_by(TrainingSession.start_on, TrainingSession.ref))
        if why_not_bookable(s, today) is None]
    confirmed = dict(db.session.execute(
        select(Booking.session_id, func.count())
        .where(Booking.status == BookingStatus.CONFIRMED,
               Booking.session_id.in_([s.id for s in sessions]))
        .group_by(Booking.session_id)).all()) if sessions else {}
    return [(s, max(s.capacity - confirmed.get(s.id, 0), 0)) for s in sessions]


# -- helpers --------------------------------------------------------------------------

def _still_to_run(session: TrainingSession) -> None:
    if session.status is not SessionStatus.SCHEDULED or session.start_on <= uk_today():
        raise BookingError("This session has already started, taken place or been cancelled.",
                           "past", 409)


def _booking_of(session_id: int, booking_id: int) -> Booking:
    """The booking, re-read under the session's lock (the caller took it)."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or booking.session_id != session_id:
        raise BookingError("This booking does not exist.", "no_booking", 404)
    return booking


def _queue(session_id: int) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session_id,
                              Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlist_order, Booking.id)))


# -- use cases ------------------------------------------------------------------------

def add_person(session_id: int, person: Person, actor: Person) -> Booking:
    """Book someone on the session for them: the booking rules of
    ``services.book`` with the coordinator as the one who booked (a place,
    or the waiting list); no approval is needed."""
    session = lock_session(session_id)
    booking = take_place(session, person, actor, source="coordinator")
    audit.record("coordinator_add", actor_id=actor.id, agency_id=person.agency_id,
                 target_type="booking", target_id=booking.id, session=session.ref,
                 person_id=person.id, status=booking.status.value)
    db.session.commit()
    return booking


def move(booking_id: int, to_session_id: int, actor: Person) -> Booking:
    """Move an active booking to another session (of any course). The
    person gets the new session's place or its waiting list by the normal
    booking rules; the old booking becomes ``cancelled`` (never late: the
    board moved it) with the reason "Moved to <ref>", and the place it
    frees goes at once to the earliest waiting on the old session. Both
    sessions are locked, the lower id first, so two moves in opposite
    directions cannot deadlock. The person is e-mailed about the new
    booking (with its calendar invitation when confirmed) and, when they
    held a place, sent the old session's calendar cancellation. Returns the
    new booking."""
    original = db.session.get(Booking, booking_id)
    if original is None:
        raise BookingError("This booking does not exist.", "no_booking", 404)
    if to_session_id == original.session_id:
        raise BookingError("Choose a different session to move the booking to.", "same_session", 409)
    first, second = sorted((original.session_id, to_session_id))
    locked = {first: lock_session(first), second: lock_session(second)}
    old, new = locked[original.session_id], locked[to_session_id]
    original = _booking_of(old.id, booking_id)
    if not original.is_active:
        raise BookingError("This booking is already cancelled.", "already_cancelled", 409)
    _still_to_run(old)
    person = db.session.get(Person, original.person_id)
    # The old booking leaves first, so the person's new one is their only
    # active booking; its place is given out after the new one is made.
    was = original.status
    original.status = BookingStatus.CANCELLED
    original.waitlist_order = None
    original.cancelled_at = utcnow()
    original.cancel_reason = f"Moved to {new.ref}"
    db.session.flush()
    try:
        replacement = take_place(new, person, actor, source="move", tell=False)
    except BookingError:
        db.session.rollback()  # the old booking stays as it was
        raise
    audit.record("move", actor_id=actor.id, agency_id=original.agency_id, target_type="booking",
                 target_id=original.id, session=old.ref, to_session=new.ref,
                 new_booking_id=replacement.id, was=was.value, now=replacement.status.value)
    if was is BookingStatus.CONFIRMED:
        # Their calendar has the old session: a cancellation with its UID
        # removes it (the managers' copy comes with the move's e-mail).
        _tell(original, "booking_cancelled", copy_to_managers=False, moved_to=new)
    _tell(replacement, "booking_moved", moved_from=old)
    fill_from_waitlist(old)
    db.session.commit()
    return replacement


def reorder(booking_id: int, session_id: int, actor: Person, position: int | None = None,
            step: int = 0) -> int:
    """Put a waiting booking at ``position`` (1 = promoted next), or ``step``
    places later (negative: earlier) than where it is now, clamped to the
    list; then renumber the session's waiting list 1, 2, ... Both read the
    queue under the lock, so a stale page cannot scramble it. Returns the
    position it now has."""
    session = lock_session(session_id)
    booking = _booking_of(session.id, booking_id)
    if booking.status is not BookingStatus.WAITLISTED:
        raise BookingError("Only someone on the waiting list can be moved in it.",
                           "not_waiting", 409)
    queue = _queue(session.id)
    before = queue.index(booking) + 1
    wanted = position if position is not None else before + step
    queue.remove(booking)
    after = min(max(wanted, 1), len(queue) + 1)
    queue.insert(after - 1, booking)
    for number, waiting in enumerate(queue, start=1):
        waiting.waitlist_order = number
    audit.record("waitlist_reorder", actor_id=actor.id, agency_id=booking.agency_id,
                 target_type="booking", target_id=booking.id, session=session.ref,
                 before=before, after=after)
    db.session.commit()
    return after


def promote(booking_id: int, session_id: int, actor: Person) -> Booking:
    """Give a waiting person a free place by hand, whatever their position.
    Only into a free place: confirmed bookings never exceed the capacity
    (raise the capacity first). The coordinator's choice may pass over the
    session's cap per agency, which otherwise keeps the mix automatically."""
    session = lock_session(session_id)
    booking = _booking_of(session.id, booking_id)
    if booking.status is not BookingStatus.WAITLISTED:
        raise BookingError("Only someone on the waiting list can be given a place.",
                           "not_waiting", 409)
    _still_to_run(session)
    if places(session).free <= 0:
        raise BookingError("No place is free on this session: raise the capacity first, "
                           "or wait for someone to cancel.", "no_free_place", 409)
    booking.status = BookingStatus.CONFIRMED
    booking.waitlist_order = None
    booking.promoted_at = utcnow()
    db.session.flush()
    audit.record("promote", actor_id=actor.id, agency_id=booking.agency_id, target_type="booking",
                 target_id=booking.id, session=session.ref, by_hand=True)
    _tell(booking, "booking_promoted")
    db.session.commit()
    return booking


def set_capacity(session_id: int, capacity: int, actor: Person) -> list[Booking]:
    """Raise or lower the number of places (``scheduling.services
    .change_capacity``: never below the confirmed places; raising promotes
    the earliest waiting at once), within what the venue holds and not below
    the cap per agency, as when the session is edited. Refused with a
    ``SchedulingError`` about the ``capacity`` field. Returns the bookings
    promoted."""
    session = lock_session(session_id)
    _still_to_run(session)
    venue = session.venue
    if venue is not None and venue.capacity is not None and capacity > venue.capacity:
        raise SchedulingError([Problem("capacity", f"Capacity must be {venue.capacity} or fewer: "
                                       f"{venue.name} holds {venue.capacity}", "above_venue_capacity")])
    if session.agency_cap is not None and capacity < session.agency_cap:
        raise SchedulingError([Problem("capacity", f"Capacity cannot be less than the "
                                       f"{session.agency_cap} places one agency may have: "
                                       "change that cap first", "below_agency_cap")])
    before = session.capacity
    promoted = change_capacity(session, capacity)
    audit.record("capacity_changed", actor_id=actor.id, target_type="session",
                 target_id=session.id, ref=session.ref, before=before, after=capacity,
                 promoted=len(promoted))
    db.session.commit()
    return promoted


def set_waitlist_open(session_id: int, is_open: bool, actor: Person) -> TrainingSession:
    """Open or close the waiting list. Closing it keeps everyone already
    waiting in their place; once the session is full, nobody else can book."""
    session = lock_session(session_id)
    _still_to_run(session)
    session.is_waitlist_open = is_open
    audit.record("waitlist_opened" if is_open else "waitlist_closed", actor_id=actor.id,
                 target_type="session", target_id=session.id, ref=session.ref)
    db.session.commit()
    return session


def message_everyone(session_id: int, subject: str, message: str, actor: Person) -> int:
    """E-mail everyone with an active booking (confirmed or waiting), one
    message each (template ``mail/session_message``). Returns how many."""
    subject, message = " ".join(subject.split()), message.strip()
    if not subject or not message:
        raise BookingError("Enter a subject and a message.", "empty_message", 400)
    session = lock_session(session_id)
    bookings = db.session.scalars(
        select(Booking).join(Booking.person).options(contains_eager(Booking.person))
        .where(Booking.session_id == session.id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.id)).all()
    paragraphs = [[line for line in block.splitlines()]
                  for block in message.replace("\r\n", "\n").split("\n\n") if block.strip()]
    session_url = url_for("programme.session", ref=session.ref, _external=True)
    for booking in bookings:
        queue_mail(booking.person.email, "session_message", subject, person=booking.person,
                   session=session, message=message, paragraphs=paragraphs,
                   was_waiting=booking.status is BookingStatus.WAITLISTED, session_url=session_url)
    audit.record("session_message", actor_id=actor.id, target_type="session", target_id=session.id,
                 ref=session.ref, subject=subject, told=len(bookings))
    db.session.commit()
    return len(bookings)
