"""What the session page offers a visitor: book, join the waiting list,
sign in first, or why not.

The page only *describes* the booking rules; the booking service
(``bookings.services.book``) decides again under the session's lock, so a
stale page can never book a place that has gone. The checks here use the
same functions as the service, in the same order, so the reason shown is
the reason the service would give.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..bookings.models import Booking, BookingRequest, BookingStatus, RequestStatus
from ..bookings.services import (Places, active_booking, missing_prerequisites,
                                 waitlist_position, why_not_bookable)
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..types import uk_today


@dataclass(frozen=True)
class Action:
    """``kind`` is one of:

    - ``sign_in``: anonymous, and the session can be booked: "Sign in to book".
    - ``book`` / ``join_waitlist``: the signed-in person may press the button.
    - ``booked`` / ``waitlisted``: they hold an active booking (``booking``,
      ``position`` on the waiting list); ``can_cancel`` when it can still be
      cancelled from the web.
    - ``requested``: their agency approves bookings and a request is pending.
    - ``trainer``: they deliver this session, so there is nothing to book.
    - ``blocked``: nobody, or not this person, can book now; ``message``
      says why and ``code`` is the booking service's error code (plus
      ``no_agency``).
    """

    kind: str
    message: str = ""
    code: str = ""
    booking: Booking | None = None
    position: int | None = None
    can_cancel: bool = False


def _is_full(session: TrainingSession, places: Places) -> bool:
    """A newcomer would not get a place: none free, or people already wait."""
    return places.free == 0 or places.waiting > 0


def booking_action(session: TrainingSession, places: Places, user) -> Action:
    if user.is_authenticated:
        booking = active_booking(session.id, user.id)
        if booking is not None:
            can_cancel = session.status is SessionStatus.SCHEDULED and session.start_on > uk_today()
            if booking.status is BookingStatus.CONFIRMED:
                return Action("booked", booking=booking, can_cancel=can_cancel)
            return Action("waitlisted", booking=booking, position=waitlist_position(booking),
                          can_cancel=can_cancel)
        if any(trainer.id == user.id for trainer in session.trainers):
            return Action("trainer")
    problem = why_not_bookable(session)
    if problem is not None:
        return Action("blocked", problem.message, problem.code)
    if _is_full(session, places) and not session.is_waitlist_open:
        return Action("blocked", "This session is full and its waiting list is closed.", "full")
    if not user.is_authenticated:
        return Action("sign_in")
    if user.agency_id is None:
        return Action("blocked", "Add your agency to your account before booking.", "no_agency")
    if _pending_request(session.id, user.id):
        return Action("requested")
    missing = missing_prerequisites(session, user)
    if missing:
        return Action("blocked", "This course needs " + ", ".join(missing) + " first.",
                      "prerequisite_missing")
    if _is_full(session, places):
        return Action("join_waitlist")
    if _agency_at_cap(session, user.agency_id):
        message = (f"Your agency already has {session.agency_cap} confirmed "
                   f"{'place' if session.agency_cap == 1 else 'places'} on this session, "
                   "the most one agency can have.")
        if not session.is_waitlist_open:
            return Action("blocked", message, "agency_cap")
        return Action("join_waitlist", message, "agency_cap")
    return Action("book")


def _agency_at_cap(session: TrainingSession, agency_id: int) -> bool:
    """The session's cap per agency (a multi-agency mix) is reached: the
    booking service then puts the newcomer on the waiting list."""
    if session.agency_cap is None:
        return False
    confirmed = db.session.scalar(
        select(func.count()).select_from(Booking)
        .where(Booking.session_id == session.id, Booking.agency_id == agency_id,
               Booking.status == BookingStatus.CONFIRMED))
    return confirmed >= session.agency_cap


def _pending_request(session_id: int, person_id: int) -> bool:
    return db.session.scalar(
        select(BookingRequest.id).where(BookingRequest.session_id == session_id,
                                        BookingRequest.person_id == person_id,
                                        BookingRequest.status == RequestStatus.PENDING)
    ) is not None
