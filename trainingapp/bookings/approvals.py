"""Booking approval: where an agency requires it, staff ask and a manager decides.

A practitioner of such an agency who books a session creates a *request*
(``BookingRequest``, ``pending``) instead of a booking. A pending request
holds no place: approving it books exactly like a new booking at that
moment (``services.book`` with the manager as actor), so the person gets a
place, a place on the waiting list or, when booking is no longer possible,
nothing (the request is then declined with the reason). Managers,
coordinators and admins booking for someone never need approval.

A request *expires* once nobody could book the session any more: its
booking has closed (``services.booking_closes_on``), it has started, or it
was cancelled. ``expire_requests`` marks them (run by
``flask --app wsgi send-reminders``); listings apply the same rule,
so an expired request is never shown as waiting.

Each use case here is one transaction, audited, with its e-mails queued in
it; the caller sends them after commit.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit
from ..agencies.models import Person, Role
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..mail.services import queue_mail
from ..types import uk_today, utcnow
from . import notices
from .models import Booking, BookingRequest, BookingStatus, RequestStatus
from .services import BookingError, book, check_may_book, lock_session, places, why_not_bookable

# Roles that book without asking anyone (for themselves or for others).
DECIDERS = (Role.ADMIN, Role.COORDINATOR, Role.AGENCY_MANAGER)
# The note of a request that was approved but could not be booked.
REFUSED = "Approved, but not booked: "


def needs_approval(person: Person) -> bool:
    """Does ``person`` booking themselves need their manager's approval?"""
    return bool(person.agency is not None and person.agency.requires_booking_approval
                and person.role not in DECIDERS)


def may_decide(actor: Person, agency_id: int) -> bool:
    """Admins and coordinators decide for every agency, managers for their own."""
    if actor.role in (Role.ADMIN, Role.COORDINATOR):
        return True
    return actor.role is Role.AGENCY_MANAGER and actor.agency_id == agency_id


def closed_condition(today: date):
    """SQL: the session can no longer be booked (so its requests expire)."""
    return or_(TrainingSession.status != SessionStatus.SCHEDULED,
               TrainingSession.start_on <= today,
               and_(TrainingSession.booking_closes_on.is_not(None),
                    TrainingSession.booking_closes_on < today))


def _no_longer_bookable(session: TrainingSession, today: date) -> bool:
    problem = why_not_bookable(session, today)
    return problem is not None and problem.code in ("cancelled", "past", "closed")


# -- the practitioner asks ----------------------------------------------------------

def request_place(session_id: int, person: Person) -> BookingRequest:
    """Ask the agency's managers for a place. Refused (nothing written) for
    the same reasons booking would be refused now, except that a full
    session with an open waiting list can still be requested."""
    session = lock_session(session_id)
    check_may_book(session, person, person)
    if _pending(session.id, person.id) is not None:
        raise BookingError("You have already asked your manager for a place on this session.",
                           "already_requested", 409)
    now = places(session)
    if (now.free == 0 or now.waiting > 0) and not session.is_waitlist_open:
        raise BookingError("This session is full and its waiting list is closed.", "full", 409)
    request = BookingRequest(session_id=session.id, person_id=person.id,
                             agency_id=person.agency_id, status=RequestStatus.PENDING,
                             requested_by_id=person.id)
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:  # the one-pending-request index: a double submit
        db.session.rollback()
        raise BookingError("You have already asked your manager for a place on this session.",
                           "already_requested", 409) from None
    audit.record("request", actor_id=person.id, agency_id=person.agency_id,
                 target_type="booking_request", target_id=request.id, session=session.ref)
    queue_mail(person.email, "booking_requested",
               f"Your request has been sent to your manager: {session.course.title}",
               person=person, session=session)
    notices.ask_managers(request)
    db.session.commit()
    return request


def _pending(session_id: int, person_id: int) -> BookingRequest | None:
    return db.session.scalar(
        select(BookingRequest).where(BookingRequest.session_id == session_id,
                                     BookingRequest.person_id == person_id,
                                     BookingRequest.status == RequestStatus.PENDING))


# -- the manager decides ------------------------------------------------------------

def _decision(request_id: int, actor: Person) -> BookingRequest:
    """The request, still pending, with the session's lock held."""
    request = db.session.get(BookingRequest, request_id)
    if request is None or not may_decide(actor, request.agency_id):
        raise BookingError("This request does not exist.", "no_request", 404)
    session = lock_session(request.session_id)
    db.session.refresh(request)
    if request.status is not RequestStatus.PENDING:
        raise BookingError("This request has already been dealt with.", "decided", 409)
    if _no_longer_bookable(session, uk_today()):
        _expire(request)
        db.session.commit()
        raise BookingError("This request has expired: the session can no longer be booked.",
                           "expired", 409)
    return request


def _decide(request: BookingRequest, status: RequestStatus, actor: Person | None,
            note: str | None = None) -> None:
    request.status = status
    request.decided_by_id = actor.id if actor else None
    request.decided_at = utcnow()
    request.note = note


def approve(request_id: int, actor: Person) -> BookingRequest:
    """Book the person exactly as a new booking now would; the request
    records the outcome: ``approved`` with its booking (confirmed or
    waitlisted), or ``declined`` with the reason booking was refused.

    The decision and its audit entry commit with the booking (``book``
    commits); linking the booking follows at once in a second commit."""
    request = _decision(request_id, actor)
    person = db.session.get(Person, request.person_id)
    _decide(request, RequestStatus.APPROVED, actor)
    audit.record("approve", actor_id=actor.id, agency_id=request.agency_id,
                 target_type="booking_request", target_id=request.id,
                 session=request.session.ref)
    try:
        if person.agency_id != request.agency_id:
            raise BookingError(f"{person.full_name} has moved to another agency.", "moved", 409)
        booking = book(request.session_id, person, actor=actor)
    except BookingError as error:
        db.session.rollback()
        return _refused(request_id, actor, error)
    request.booking_id = booking.id
    db.session.commit()
    return request


def _refused(request_id: int, actor: Person, error: BookingError) -> BookingRequest:
    """Approved, but booking said no: decline the request with the reason
    (unless someone else decided it meanwhile) and tell the person."""
    request = _decision(request_id, actor)
    _decide(request, RequestStatus.DECLINED, actor, note=REFUSED + error.message)
    audit.record("approve", actor_id=actor.id, agency_id=request.agency_id,
                 target_type="booking_request", target_id=request.id,
                 session=request.session.ref, outcome="refused", code=error.code)
    _tell_person(request, "booking_request_declined", reason=error.message)
    db.session.commit()
    return request


def decline(request_id: int, actor: Person, reason: str | None = None) -> BookingRequest:
    """Say no to a request, with an optional reason for the person."""
    request = _decision(request_id, actor)
    reason = (reason or "").strip()[:2000] or None
    _decide(request, RequestStatus.DECLINED, actor, note=reason)
    audit.record("decline", actor_id=actor.id, agency_id=request.agency_id,
                 target_type="booking_request", target_id=request.id,
                 session=request.session.ref)
    _tell_person(request, "booking_request_declined", reason=reason)
    db.session.commit()
    return request


# -- expiry -------------------------------------------------------------------------

def _expire(request: BookingRequest) -> None:
    _decide(request, RequestStatus.EXPIRED, None)
    audit.record("expire", agency_id=request.agency_id, target_type="booking_request",
                 target_id=request.id, session=request.session.ref)
    _tell_person(request, "booking_request_expired")


def expire_requests(today: date | None = None) -> int:
    """Expire every pending request whose session can no longer be booked
    (closed, started or cancelled); tell each person. Safe to run twice or
    at once from two places (row locks / BEGIN IMMEDIATE). Returns how many
    expired."""
    today = today or uk_today()
    statement = (
        select(BookingRequest)
        .join(TrainingSession, BookingRequest.session_id == TrainingSession.id)
        .where(BookingRequest.status == RequestStatus.PENDING, closed_condition(today))
        .order_by(BookingRequest.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=BookingRequest, skip_locked=True)
    requests = db.session.scalars(statement).all()
    for request in requests:
        _expire(request)
    db.session.commit()
    return len(requests)


def _tell_person(request: BookingRequest, template: str, reason: str | None = None) -> None:
    person, session = request.person, request.session
    subjects = {"booking_request_declined": "Your request was not approved: {title}",
                "booking_request_expired": "Your request has expired: {title}"}
    queue_mail(person.email, template, subjects[template].format(title=session.course.title),
               person=person, session=session, request=request, reason=reason)


# -- what the manager sees ----------------------------------------------------------

def pending_for(agency_id: int, today: date | None = None) -> list[tuple[BookingRequest, int]]:
    """The agency's pending requests that can still be approved, soonest
    session first, each with the session's places left now."""
    today = today or uk_today()
    requests = db.session.scalars(
        select(BookingRequest)
        .join(TrainingSession, BookingRequest.session_id == TrainingSession.id)
        .options(joinedload(BookingRequest.person),
                 joinedload(BookingRequest.session).joinedload(TrainingSession.course))
        .where(BookingRequest.agency_id == agency_id,
               BookingRequest.status == RequestStatus.PENDING, ~closed_condition(today))
        .order_by(TrainingSession.start_on, BookingRequest.created_at, BookingRequest.id)
    ).all()
    left = places_left({r.session_id for r in requests})
    return [(r, left.get(r.session_id, 0)) for r in requests]


def places_left(session_ids: set[int]) -> dict[int, int]:
    """Free places of each session, in one query."""
    if not session_ids:
        return {}
    confirmed = (select(Booking.session_id, func.count().label("n"))
                 .where(Booking.status == BookingStatus.CONFIRMED,
                        Booking.session_id.in_(session_ids))
                 .group_by(Booking.session_id).subquery())
    rows = db.session.execute(
        select(TrainingSession.id, TrainingSession.capacity - func.coalesce(confirmed.c.n, 0))
        .outerjoin(confirmed, confirmed.c.session_id == TrainingSession.id)
        .where(TrainingSession.id.in_(session_ids)))
    return {session_id: max(int(free), 0) for session_id, free in rows}


def recent_decisions(agency_id: int, limit: int = 20) -> list[BookingRequest]:
    """The agency's latest decided requests (approved, declined, expired)."""
    return list(db.session.scalars(
        select(BookingRequest)
        .options(joinedload(BookingRequest.person), joinedload(BookingRequest.booking),
                 joinedload(BookingRequest.session).joinedload(TrainingSession.course))
        .where(BookingRequest.agency_id == agency_id,
               BookingRequest.status != RequestStatus.PENDING)
        .order_by(BookingRequest.decided_at.desc(), BookingRequest.id.desc())
        .limit(limit)))
